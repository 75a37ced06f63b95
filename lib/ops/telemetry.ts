// The product sends nothing anywhere unless configured to. Next.js reports anonymous usage
// from `next build` and the server, and Clerk's SDK from the server and (inlined at build time
// through its NEXT_PUBLIC_ name) the browser, unless these say no. An operator who set one of
// them, to anything, keeps their choice.
export const TELEMETRY_OFF = {
  NEXT_TELEMETRY_DISABLED: "1",
  CLERK_TELEMETRY_DISABLED: "1",
  NEXT_PUBLIC_CLERK_TELEMETRY_DISABLED: "1",
} as const;

/** Sets each telemetry switch the environment leaves unset (or empty) to off, in place. */
export function turnTelemetryOff(environment: Record<string, string | undefined>): void {
  for (const [name, value] of Object.entries(TELEMETRY_OFF)) {
    if (!environment[name]) environment[name] = value;
  }
}
