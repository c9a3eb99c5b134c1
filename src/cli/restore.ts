import path from "node:path";
import { parseArgs } from "node:util";
import { loadConfig } from "../config/config.js";
import { provisionDatabase } from "../db/provision.js";
import { checkBackup } from "../ops/backup/check-backup.js";
import { restoreBackup, superuserUrlOf } from "../ops/backup/restore.js";
import { runCli } from "./run.js";

const USAGE = "usage: npm run restore -- <backup directory>";

/**
 * `npm run restore -- <dir>`: checks the backup's files against its
 * manifest, creates and migrates the configured database if needed,
 * refuses it if it holds data of its own, and restores the backup into it
 * in one transaction, verifying row counts and the audit chain before
 * committing.
 */
runCli(async () => {
  const { positionals } = parseArgs({ options: {}, strict: true, allowPositionals: true });
  if (positionals.length !== 1) throw new Error(`expected one backup directory\n${USAGE}`);
  const dir = path.resolve(positionals[0]!);

  const config = loadConfig();
  const superuserUrl = superuserUrlOf(config.database);
  const manifest = await checkBackup(dir);
  const database = await provisionDatabase(config.database);
  try {
    const restored = await restoreBackup(superuserUrl, dir, manifest);
    console.log(
      `restored ${restored.tables} tables (${restored.rows} rows) from ${dir} into ${restored.database}; ` +
        `audit chain intact: ${restored.auditChain.checkedRows} rows checked, head ${restored.auditChain.headSeq}:${restored.auditChain.headHash}`,
    );
  } finally {
    await database.close();
  }
  return 0;
});
