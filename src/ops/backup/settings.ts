import path from "node:path";

/** Where backups go and how long they are kept. */
export interface BackupSettings {
  /** The directory holding one timestamped directory per backup. */
  root: string;
  /** Backups taken longer ago than this are pruned after each new backup. */
  retentionDays: number;
}

const DEFAULT_BACKUP_DIR = ".data/backups";
const DEFAULT_RETENTION_DAYS = 30;

export interface BackupFlags {
  dir?: string;
  retentionDays?: string;
}

/** An empty variable counts as unset, as loadConfig treats the others. */
function given(value: string | undefined): string | undefined {
  return value === undefined || value === "" ? undefined : value;
}

/**
 * The backup settings: a flag wins over its environment variable
 * (BACKUP_DIR, BACKUP_RETENTION_DAYS), which wins over the default. A wrong
 * value is refused naming the flag or variable it came from.
 */
export function backupSettings(
  flags: BackupFlags,
  env: NodeJS.ProcessEnv = process.env,
  cwd: string = process.cwd(),
): BackupSettings {
  const dir = given(flags.dir) ?? given(env.BACKUP_DIR) ?? DEFAULT_BACKUP_DIR;
  const [source, retention] =
    flags.retentionDays !== undefined
      ? ["--retention-days", flags.retentionDays]
      : ["BACKUP_RETENTION_DAYS", given(env.BACKUP_RETENTION_DAYS) ?? String(DEFAULT_RETENTION_DAYS)];
  if (!/^[1-9][0-9]{0,5}$/.test(retention)) {
    throw new Error(`${source}: expected a whole number of days, 1 or more, got "${retention}"`);
  }
  return { root: path.resolve(cwd, dir), retentionDays: Number(retention) };
}
