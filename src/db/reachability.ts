import fs from "node:fs/promises";
import path from "node:path";
import type { Account } from "./postgres-account.js";

export const SEARCH = 0o1;
export const READ = 0o4;

/** What keeps an account out of a path: the first directory or file on the way it may not pass. */
export interface Barrier {
  path: string;
  /** e.g. "0700" */
  mode: string;
}

/** Whether `account` has all of `bits` (SEARCH, READ) on a file of this stat, as the kernel decides for a process with its uid and gid alone. */
function allows(stat: { uid: number; gid: number; mode: number }, account: Account, bits: number): boolean {
  const shift = stat.uid === account.uid ? 6 : stat.gid === account.gid ? 3 : 0;
  return ((stat.mode >> shift) & bits) === bits;
}

/**
 * The first path from / down to `target` that `account` may not pass: each
 * directory on the way needs search permission, `target` itself `bits`.
 * Paths that do not exist yet end the walk (whoever creates them decides
 * their mode). Undefined when the way is open.
 *
 * Node drops supplementary groups when it spawns a process under another
 * uid, so only the account's own uid and gid count here. ACLs are not read.
 */
export async function firstBarrier(account: Account, target: string, bits: number): Promise<Barrier | undefined> {
  const absolute = path.resolve(target);
  const steps: string[] = [];
  for (let at = absolute; ; at = path.dirname(at)) {
    steps.unshift(at);
    if (path.dirname(at) === at) break;
  }
  for (const step of steps) {
    const stat = await fs.stat(step).catch(() => undefined);
    if (!stat) return undefined;
    if (!allows(stat, account, step === absolute ? bits : SEARCH)) {
      return { path: step, mode: (stat.mode & 0o7777).toString(8).padStart(4, "0") };
    }
  }
  return undefined;
}

/**
 * Creates `dir` and its missing parents with mode 0755 whatever the umask,
 * so that another account can search them. Directories that existed already
 * keep their mode.
 */
export async function makeSearchableDirectory(dir: string): Promise<void> {
  const first = await fs.mkdir(dir, { recursive: true, mode: 0o755 });
  if (first === undefined) return;
  for (let at = path.resolve(dir); ; at = path.dirname(at)) {
    await fs.chmod(at, 0o755);
    if (at === path.resolve(first)) break;
  }
}
