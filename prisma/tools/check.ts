// npm run db:check: fails (exit 1) when schema.prisma has changes that no
// committed migration covers, so CI catches a forgotten `npm run db:diff`.
import { diffMigrationsToSchema, runTool, toolContext } from "./schema-engine";

runTool("db:check", async () => {
  const { args, ...options } = toolContext(process.argv.slice(2));
  if (args.length > 0) throw new Error("usage: npm run db:check [-- --schema <path>]");
  const diff = await diffMigrationsToSchema(options);
  if (!diff.changed) {
    console.log("schema and migrations agree");
    return 0;
  }
  console.log(
    "schema.prisma has changes no migration covers; run `npm run db:diff -- <name>`. Missing SQL:\n",
  );
  console.log(diff.upSql.trim());
  return 1;
});
