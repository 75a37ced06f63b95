import pg from "pg";
import { z } from "zod";

// manifest.json, the first entry of every backup: what made it and how far its schema is
// migrated, so a restore can say what it holds and migrate it up afterwards.

export const BACKUP_FORMAT = "errorhub-backup";

export const manifestSchema = z.object({
  format: z.literal(BACKUP_FORMAT),
  formatVersion: z.literal(1),
  appVersion: z.string(),
  createdAt: z.string(),
  /** dbmate's latest applied migration version (the file name's timestamp). */
  migration: z.string().regex(/^\d{14}$/),
  /**
   * "logical": database.dump, pg_dump's custom format, restorable into any server this major or
   * newer. "physical": postgres/, an online copy of the embedded cluster's data folder with the
   * WAL it needs (for installs without a pg_dump as new as the server); restorable only into
   * the embedded cluster of the same major. Backups made before this field are logical.
   */
  method: z.enum(["logical", "physical"]).default("logical"),
  postgresMajor: z.number().int(),
  /** The logical method's pg_dump. */
  pgDumpMajor: z.number().int().optional(),
  /** The physical method's WAL range: pg_backup_start's and pg_backup_stop's locations. */
  wal: z.object({ start: z.string(), stop: z.string() }).optional(),
  /** "filesystem": the blobs/ folder holds the store's files; "s3": not included. */
  blobs: z.enum(["filesystem", "s3", "none"]),
});
export type Manifest = z.infer<typeof manifestSchema>;


/** dbmate's latest applied version, or null on a database it never migrated. */
export async function migrationLevel(databaseUrl: string): Promise<string | null> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const table = await client.query("select to_regclass('public.schema_migrations') as t");
    if (!table.rows[0].t) return null;
    const { rows } = await client.query<{ v: string | null }>(
      "select max(version)::text as v from schema_migrations",
    );
    return rows[0]?.v ?? null;
  } finally {
    await client.end();
  }
}
