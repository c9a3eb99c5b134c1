import { readdir, readFile } from "node:fs/promises";

export interface ProcessEntry {
  pid: number;
  ppid: number;
  command: string;
  /** user + system time so far, in clock ticks. */
  ticks: number;
}

/** Every process on the machine, from /proc/<pid>/stat (fields after the command name, which may hold spaces). */
export async function listProcesses(): Promise<ProcessEntry[]> {
  const pids = (await readdir("/proc")).filter((name) => /^\d+$/.test(name));
  const all = await Promise.all(
    pids.map(async (pid) => {
      try {
        const stat = await readFile(`/proc/${pid}/stat`, "utf8");
        const close = stat.lastIndexOf(")");
        const fields = stat.slice(close + 2).split(" ");
        return { pid: Number(pid), ppid: Number(fields[1]), command: stat.slice(stat.indexOf("(") + 1, close), ticks: Number(fields[11]) + Number(fields[12]) };
      } catch {
        return undefined; // gone meanwhile
      }
    }),
  );
  return all.filter((entry): entry is ProcessEntry => entry !== undefined);
}

/** A process and all its descendants (a cluster primary's workers, their children). */
export function descendantsOf(root: number, all: ProcessEntry[]): Set<number> {
  const tree = new Set([root]);
  // Parents come before children often but not always: repeat until nothing is added.
  for (let added = true; added; ) {
    added = false;
    for (const entry of all) {
      if (!tree.has(entry.pid) && tree.has(entry.ppid)) {
        tree.add(entry.pid);
        added = true;
      }
    }
  }
  return tree;
}
