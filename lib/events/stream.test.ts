import { describe, expect, it } from "vitest";
import { entryMeta, parseEntry } from "./stream";

const fields = (pairs: [string, string][]) => pairs.flatMap(([name, value]) => [Buffer.from(name), Buffer.from(value)]);

describe("stream entries", () => {
  it("read back what ingest wrote, a sent_at with a line break included", () => {
    const meta = entryMeta({
      type: "event",
      eventId: "9ec79c33ec9942ab8353589fcb2e04dc",
      clientIp: "2001:db8::1",
      receivedAt: 1_795_900_000_123,
      sentAt: "2026-11-28T12:00:00Z\nodd",
    });
    const entry = parseEntry("1-0", fields([["m", meta], ["h", '{"type":"event"}'], ["p", "{}"]]));
    expect(entry).toEqual({
      id: "1-0",
      type: "event",
      eventId: "9ec79c33ec9942ab8353589fcb2e04dc",
      clientIp: "2001:db8::1",
      receivedAt: new Date(1_795_900_000_123),
      sentAt: "2026-11-28T12:00:00Z\nodd",
      itemHeader: Buffer.from('{"type":"event"}'),
      payload: Buffer.from("{}"),
    });
    const withoutSentAt = entryMeta({ type: "session", eventId: "", clientIp: "203.0.113.7", receivedAt: 1, sentAt: undefined });
    expect(parseEntry("2-0", fields([["m", withoutSentAt]]))).toMatchObject({ type: "session", eventId: "", sentAt: undefined });
  });

  it("read entries written before the packed format: fields of their own, the whole envelope header", () => {
    const entry = parseEntry(
      "3-0",
      fields([
        ["t", "event"],
        ["h", '{"type":"event"}'],
        ["p", "{}"],
        ["id", "9ec79c33ec9942ab8353589fcb2e04dc"],
        ["ip", "203.0.113.7"],
        ["ts", "1795900000123"],
        ["eh", '{"event_id":"9ec79c33ec9942ab8353589fcb2e04dc","sent_at":"2026-11-28T12:00:00Z"}'],
      ]),
    );
    expect(entry).toMatchObject({
      type: "event",
      eventId: "9ec79c33ec9942ab8353589fcb2e04dc",
      clientIp: "203.0.113.7",
      receivedAt: new Date(1_795_900_000_123),
      sentAt: "2026-11-28T12:00:00Z",
    });
  });
});
