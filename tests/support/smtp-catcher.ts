import type { AddressInfo } from "node:net";
import { SMTPServer } from "smtp-server";

// An SMTP server in this process that keeps every message it is sent. Import it before
// anything from lib/ (lib/env.ts reads SMTP_URL once per process): the top-level await below
// sets SMTP_URL to it before the next import is evaluated.

export type CaughtMail = { from: string; to: string[]; subject: string; text: string; raw: string };

export const mails: CaughtMail[] = [];

const server = new SMTPServer({
  authOptional: true,
  disabledCommands: ["STARTTLS"],
  logger: false,
  onData(stream, session, callback) {
    const chunks: Buffer[] = [];
    stream.on("data", (chunk: Buffer) => chunks.push(chunk));
    stream.on("end", () => {
      const raw = Buffer.concat(chunks).toString();
      const [head = "", ...rest] = raw.split(/\r?\n\r?\n/);
      // Unfold long header lines; undo quoted-printable soft breaks and escapes in the body.
      const headers = head.replace(/\r?\n[ \t]+/g, " ");
      const text = rest
        .join("\n\n")
        .replace(/=\r?\n/g, "")
        .replace(/=([0-9A-F]{2})/g, (_, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)));
      mails.push({
        from: session.envelope.mailFrom ? session.envelope.mailFrom.address : "",
        to: session.envelope.rcptTo.map((r) => r.address),
        subject: /^Subject: (.*)$/im.exec(headers)?.[1]?.trim() ?? "",
        text,
        raw,
      });
      callback();
    });
  },
});

await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
export const smtpUrl = `smtp://127.0.0.1:${(server.server.address() as AddressInfo).port}`;
process.env.SMTP_URL = smtpUrl;

export const closeSmtp = () => new Promise<void>((resolve) => server.close(() => resolve()));
