import { descendantsOf, listProcesses } from "./process-tree.js";

/** Linux reports process times in USER_HZ ticks, 100 a second on every architecture it runs on here. */
const MS_PER_TICK = 10;

export interface CpuTimes {
  /** The server process and its descendants (a cluster's workers). */
  serverMs: number;
  /** Every PostgreSQL process on the machine (the bench's cluster is the only one). */
  postgresMs: number;
}

/**
 * CPU time used while it runs by the server (with its descendants) and by
 * PostgreSQL, read every `intervalMs`. Each process counts from its first
 * reading (or from zero if it started meanwhile) to its last, so a backend
 * that exits during the run (a pool closing an idle connection) keeps what
 * it used up to its last reading instead of vanishing from the total.
 */
export function sampleCpu(serverPid: number, intervalMs = 1000): { stop(): Promise<CpuTimes> } {
  const first = new Map<number, number>();
  const last = new Map<number, { ticks: number; kind: "server" | "postgres" }>();
  let started = false;
  const read = async () => {
    const all = await listProcesses();
    const server = descendantsOf(serverPid, all);
    for (const entry of all) {
      const kind = server.has(entry.pid) ? "server" : entry.command === "postgres" ? "postgres" : undefined;
      if (!kind) continue;
      if (!first.has(entry.pid)) first.set(entry.pid, started ? 0 : entry.ticks);
      last.set(entry.pid, { ticks: entry.ticks, kind });
    }
    started = true;
  };
  // One reading at a time, in order, so a slow one never overwrites a later one.
  let readings = read();
  const timer = setInterval(() => (readings = readings.then(read)), intervalMs);
  return {
    async stop() {
      clearInterval(timer);
      await (readings = readings.then(read));
      const used = { server: 0, postgres: 0 };
      for (const [pid, { ticks, kind }] of last) used[kind] += ticks - first.get(pid)!;
      return { serverMs: used.server * MS_PER_TICK, postgresMs: used.postgres * MS_PER_TICK };
    },
  };
}
