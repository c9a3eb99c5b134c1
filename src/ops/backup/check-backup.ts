import path from "node:path";
import { readManifest, type Manifest } from "./manifest.js";
import { sha256OfFile } from "../../streams/measures.js";

/**
 * Reads a backup's manifest and checks that every file it lists is there
 * and has the SHA-256 the backup recorded, before any database is touched:
 * a partial or tampered backup is refused naming the file.
 */
export async function checkBackup(dir: string): Promise<Manifest> {
  const manifest = await readManifest(dir);
  for (const entry of manifest.tables) {
    let actual: string;
    try {
      actual = await sha256OfFile(path.join(dir, entry.file));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
      throw new Error(`backup ${dir} is incomplete: ${entry.file} (the rows of ${entry.table}) is missing. Nothing was restored.`);
    }
    if (actual !== entry.sha256) {
      throw new Error(
        `backup ${dir} is damaged: ${entry.file} (the rows of ${entry.table}) does not match its SHA-256 in manifest.json; it was changed or corrupted after the backup. Nothing was restored.`,
      );
    }
  }
  return manifest;
}
