import { z } from "zod";

export const slugSchema = z
  .string()
  .min(1)
  .max(50)
  .regex(/^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/, "use lowercase letters, digits and dashes");

/** A slug made from a display name: "Acme Inc." -> "acme-inc" (`fallback` when nothing is left). */
export function slugify(name: string, fallback: string): string {
  return name.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "").slice(0, 40).replace(/-+$/, "") || fallback;
}
