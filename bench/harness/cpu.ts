import { readdir, readFile } from "node:fs/promises";

/** Linux reports process times in USER_HZ ticks, 100 a second on every architecture it runs on here. */
const MS_PER_TICK = 10;

interface ProcessTimes {
  pid: number;
  ppid: number;
  command: string;
  ticks: number;
}

/** user + system time of every process, from /proc/<pid>/stat (fields after the command name, which may hold spaces). */
async function processTimes(): Promise<ProcessTimes[]> {
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
  return all.filter((entry): entry is ProcessTimes => entry !== undefined);
}

export interface CpuTimes {
  /** The server process and its descendants (a cluster's workers). */
  serverMs: number;
  /** Every PostgreSQL process on the machine (the bench's cluster is the only one). */
  postgresMs: number;
}

export async function cpuTimes(serverPid: number): Promise<CpuTimes> {
  const all = await processTimes();
  const inTree = new Set([serverPid]);
  // Parents come before children often but not always: repeat until nothing is added.
  for (let added = true; added; ) {
    added = false;
    for (const entry of all) {
      if (!inTree.has(entry.pid) && inTree.has(entry.ppid)) {
        inTree.add(entry.pid);
        added = true;
      }
    }
  }
  const sum = (entries: ProcessTimes[]) => entries.reduce((total, entry) => total + entry.ticks, 0) * MS_PER_TICK;
  return {
    serverMs: sum(all.filter((entry) => inTree.has(entry.pid))),
    postgresMs: sum(all.filter((entry) => entry.command === "postgres")),
  };
}
