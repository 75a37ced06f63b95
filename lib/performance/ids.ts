// Ids in the forms SDKs and Sentry's API use: trace and event ids are 32 hex characters (an API
// client may send them dashed, as uuids), span ids 16. Anything else is no id at all.

const HEX32 = /^[0-9a-f]{32}$/;
const HEX16 = /^[0-9a-f]{16}$/;

/** A trace or event id as 32 lowercase hex characters; null when `text` is not one. */
export function hex32(text: string | null | undefined): string | null {
  if (typeof text !== "string" || text.length > 36) return null;
  const hex = text.replaceAll("-", "").toLowerCase();
  return HEX32.test(hex) ? hex : null;
}

/** A span id as 16 lowercase hex characters; null when `text` is not one. */
export function hex16(text: string | null | undefined): string | null {
  if (typeof text !== "string" || text.length !== 16) return null;
  const hex = text.toLowerCase();
  return HEX16.test(hex) ? hex : null;
}

/** A uuid column's value (PostgreSQL writes it dashed) as SDKs write trace ids. */
export const undashed = (uuid: string | null): string | null =>
  uuid === null ? null : uuid.replaceAll("-", "");

/** contexts.trace.status; Sentry calls a transaction without one "unknown". */
export const statusOrUnknown = (status: string | null | undefined): string => (status ? status : "unknown");
