import { isFailedStatus } from "@/lib/performance/sketch";

/** A waterfall bar's colour by what the span did, red when it failed. */
export function spanColour(op: string | undefined, status: string | undefined): string {
  if (status && isFailedStatus(status)) return "bg-red-500";
  const kind = (op ?? "").split(".")[0];
  if (kind === "db" || kind === "cache") return "bg-amber-500";
  if (kind === "http") return "bg-sky-500";
  if (kind === "ui" || kind === "browser" || kind === "resource" || kind === "paint" || kind === "mark") return "bg-emerald-500";
  return "bg-indigo-500";
}
