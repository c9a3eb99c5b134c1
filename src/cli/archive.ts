import { parseArgs } from "node:util";
import { loadConfig } from "../config/config.js";
import { withClient } from "../db/client.js";
import { provisionDatabase } from "../db/provision.js";
import { exportArchive } from "../lifecycle/archive-export.js";
import { jobContextFor } from "../lifecycle/context.js";
import { runJob } from "../lifecycle/jobs.js";
import { runCli } from "./run.js";

/**
 * `npm run archive`: exports every table waiting in schema archive to
 * ARCHIVE_S3_BUCKET (else ARCHIVE_DIR), verifies each export, then drops
 * the verified tables.
 * --dry-run reports what would be exported and dropped.
 */
runCli(async () => {
  const { values } = parseArgs({ options: { "dry-run": { type: "boolean" } }, strict: true, allowPositionals: false });
  const config = loadConfig();
  const database = await provisionDatabase(config.database);
  try {
    const context = jobContextFor(config);
    const run = values["dry-run"]
      ? await withClient(config.database.ownerUrl, (client) => exportArchive(client, context.archiveTarget, { dryRun: true }))
      : await runJob("archive_export", context);
    for (const table of run.exported) {
      console.log(`exported\t${table.table}\t${table.rows} rows\t${context.archiveTarget.locate(table.key)}\tsha256 ${table.sha256}`);
    }
    const verb = values["dry-run"] ? "would " : "";
    for (const row of run.processed) console.log(`${verb}${row.action}\tarchive.${row.table_name}\t${row.detail}`);
    if (run.processed.length === 0) console.log("archive is empty");
  } finally {
    await database.close();
  }
  return 0;
});
