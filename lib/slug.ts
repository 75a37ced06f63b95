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

/** `base`, else `base-2`, `base-3` ...: the first that `taken` says is free. */
export async function freeSlug(base: string, taken: (slug: string) => Promise<boolean>): Promise<string> {
  for (let n = 1; ; n++) {
    const slug = n === 1 ? base : `${base}-${n}`;
    if (!(await taken(slug))) return slug;
  }
}
