import { createReadStream, createWriteStream } from "node:fs";
import fs from "node:fs/promises";
import path from "node:path";
import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";

/** Where archived tables go. Object keys are Hive-style relative paths. */
export interface ArchiveTarget {
  /** Human-readable location of a key, recorded with the export. */
  locate(key: string): string;
  /**
   * Stores the stream `open` returns under `key`, replacing any earlier
   * object only once it is complete. `open` is called only when the target
   * is ready to receive, so a target that cannot take the object fails
   * before the source starts producing.
   */
  write(key: string, open: () => Readable): Promise<void>;
  /** Reads an object back, for verification. */
  read(key: string): Promise<Readable>;
}

/**
 * A directory on the local disk. Objects are written to a temporary name
 * and renamed into place, so a crash never leaves a half-written object
 * under its real name.
 */
export function localDirectoryTarget(root: string): ArchiveTarget {
  const fileOf = (key: string) => path.join(root, ...key.split("/"));
  return {
    locate: (key) => fileOf(key),
    async write(key, open) {
      const file = fileOf(key);
      await fs.mkdir(path.dirname(file), { recursive: true });
      const partial = `${file}.partial-${process.pid}`;
      try {
        const sink = createWriteStream(partial);
        await new Promise<void>((resolve, reject) => sink.once("open", () => resolve()).once("error", reject));
        await pipeline(open(), sink);
        await fs.rename(partial, file);
      } catch (error) {
        await fs.rm(partial, { force: true });
        throw error;
      }
    },
    async read(key) {
      return createReadStream(fileOf(key));
    },
  };
}
