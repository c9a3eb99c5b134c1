import fs from "node:fs/promises";
import path from "node:path";
import { readManifest } from "./manifest.js";

const DAY_MS = 86_400_000;

/**
 * Deletes the backups in `root` taken more than `retentionDays` before
 * `now` (by their manifest's time), never `keep` (the backup just written).
 * Only directories holding a valid backup manifest are considered: anything
 * else in `root` is left alone. Returns the directories deleted.
 */
export async function pruneBackups(root: string, retentionDays: number, keep: string, now = new Date()): Promise<string[]> {
  const cutoff = now.getTime() - retentionDays * DAY_MS;
  const pruned: string[] = [];
  for (const entry of await fs.readdir(root, { withFileTypes: true })) {
    const dir = path.join(root, entry.name);
    if (!entry.isDirectory() || entry.name.startsWith(".") || path.resolve(dir) === path.resolve(keep)) continue;
    const manifest = await readManifest(dir).catch(() => undefined);
    if (manifest && Date.parse(manifest.createdAt) < cutoff) {
      await fs.rm(dir, { recursive: true, force: true });
      pruned.push(dir);
    }
  }
  return pruned.sort();
}
