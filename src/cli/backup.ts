import { parseArgs } from "node:util";
import { loadConfig } from "../config/config.js";
import { provisionDatabase } from "../db/provision.js";
import { pruneBackups } from "../ops/backup/prune.js";
import { backupSettings } from "../ops/backup/settings.js";
import { writeBackup } from "../ops/backup/write-backup.js";
import { runCli } from "./run.js";

/**
 * `npm run backup`: writes a consistent backup of every auth table into a
 * new timestamped directory under the backup root (--dir, BACKUP_DIR,
 * default .data/backups), prints its path on stdout, then prunes backups
 * older than the retention (--retention-days, BACKUP_RETENTION_DAYS,
 * default 30). The database is backed up as it is: no migration runs first.
 */
runCli(async () => {
  const { values } = parseArgs({
    options: { dir: { type: "string" }, "retention-days": { type: "string" } },
    strict: true,
    allowPositionals: false,
  });
  const settings = backupSettings({ dir: values.dir, retentionDays: values["retention-days"] });

  const config = loadConfig();
  const database = await provisionDatabase(config.database, { applyMigrations: false });
  try {
    const { dir, manifest } = await writeBackup(config.database.ownerUrl, settings.root);
    const rows = manifest.tables.reduce((sum, table) => sum + table.rows, 0);
    console.error(`backed up ${manifest.tables.length} tables (${rows} rows) of ${manifest.database} as of ${manifest.createdAt}`);
    console.error(`audit chain head: ${manifest.auditChainHead.seq}:${manifest.auditChainHead.hash}`);
    for (const pruned of await pruneBackups(settings.root, settings.retentionDays, dir)) {
      console.error(`pruned ${pruned} (older than ${settings.retentionDays} days)`);
    }
    console.log(dir);
  } finally {
    await database.close();
  }
  return 0;
});
