import type { TagSummary, TagValueRecord } from "../../issues/tags";

// Sentry's labels for its built-in keys; other keys are their own label.
const LABELS: Record<string, string> = {
  level: "Level",
  release: "Release",
  environment: "Environment",
  user: "User",
  browser: "Browser",
  os: "OS",
  device: "Device",
  runtime: "Runtime",
  server_name: "Server",
  transaction: "Transaction",
  url: "URL",
  logger: "Logger",
  handled: "Handled",
  mechanism: "Mechanism",
};

const label = (key: string) => LABELS[key] ?? key;

export function serializeTagValue(value: TagValueRecord) {
  return {
    key: value.key,
    name: value.value,
    value: value.value,
    count: value.times_seen,
    firstSeen: value.first_seen.toISOString(),
    lastSeen: value.last_seen.toISOString(),
  };
}

/** Sentry's tag key summary of an issue (`/issues/{id}/tags/`). */
export function serializeTagSummary(summary: TagSummary) {
  return {
    key: summary.key,
    name: label(summary.key),
    totalValues: summary.totalValues,
    uniqueValues: summary.uniqueValues,
    topValues: summary.topValues.map(serializeTagValue),
  };
}
