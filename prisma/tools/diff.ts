// npm run db:diff -- <name>: writes the migration that brings the committed
// migrations up to schema.prisma, in dbmate's file format.
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { diffMigrationsToSchema, runTool, toolContext } from "./schema-engine";

const NAME = /^[a-z0-9_]+$/;

runTool("db:diff", async () => {
  const { args, ...options } = toolContext(process.argv.slice(2));
  const name = args[0];
  if (args.length !== 1 || !name || !NAME.test(name)) {
    throw new Error(
      "usage: npm run db:diff -- <name>, where <name> matches [a-z0-9_]+ (e.g. add_issue_priority)",
    );
  }
  const diff = await diffMigrationsToSchema(options);
  if (!diff.changed) {
    console.log("No changes: the migrations already match schema.prisma; nothing written.");
    return 0;
  }
  const file = path.join(options.migrationsDir, `${utcTimestamp()}_${name}.sql`);
  await mkdir(options.migrationsDir, { recursive: true });
  // "wx": never overwrite a migration that may already be applied somewhere.
  await writeFile(file, `-- migrate:up\n${diff.upSql.trim()}\n\n-- migrate:down\n${diff.downSql.trim()}\n`, {
    flag: "wx",
  });
  console.log(path.relative(process.cwd(), file));
  return 0;
});

/** dbmate's version format, YYYYMMDDHHMMSS in UTC. */
function utcTimestamp(): string {
  return new Date().toISOString().replace(/\D/g, "").slice(0, 14);
}
