import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), "../..");

/** What `npm run dev` reads from the project; node_modules is linked, not copied. */
const COPIED = ["src", "migrations", ".gmrc", "package.json", "tsconfig.json"];

export interface ProjectCopy {
  dir: string;
  /** Writes a file of the copy, e.g. migrations/current.sql. */
  write(file: string, text: string): Promise<void>;
  /** Deletes the copy, its .data included. */
  remove(): Promise<void>;
}

/**
 * A copy of the project in a temporary directory, for tests that run it as a
 * developer would and change its files (migrations/current.sql) without
 * touching the repository's. The directory is world-traversable: as root the
 * embedded PostgreSQL runs as `postgres`, which must reach .data/ inside it.
 */
export async function copyProject(): Promise<ProjectCopy> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), "auth-db-copy-"));
  await fs.chmod(dir, 0o755);
  for (const entry of COPIED) {
    await fs.cp(path.join(root, entry), path.join(dir, entry), { recursive: true });
  }
  await fs.symlink(path.join(root, "node_modules"), path.join(dir, "node_modules"), "dir");
  return {
    dir,
    write: (file, text) => fs.writeFile(path.join(dir, file), text),
    remove: () => fs.rm(dir, { recursive: true, force: true }),
  };
}
