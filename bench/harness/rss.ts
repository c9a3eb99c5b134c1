import { readFile } from "node:fs/promises";
import { descendantsOf, listProcesses } from "./process-tree.js";

/** Resident set size of a process in MiB, from /proc (Linux); undefined once it is gone. */
async function rssMiB(pid: number): Promise<number | undefined> {
  const status = await readFile(`/proc/${pid}/status`, "utf8").catch(() => undefined);
  const kib = status && /^VmRSS:\s+(\d+)\s+kB$/m.exec(status)?.[1];
  return kib ? Number(kib) / 1024 : undefined;
}

/**
 * The summed RSS of a server process and its descendants: a clustered
 * auth-db serves from its workers, so its primary alone says little.
 * Pages the processes share (the Node binary) count once per process.
 */
async function treeRssMiB(root: number): Promise<number | undefined> {
  // The root comes first; once it is gone, so is the server.
  const [own, ...others] = await Promise.all([...descendantsOf(root, await listProcesses())].map(rssMiB));
  return own === undefined ? undefined : others.reduce<number>((sum, mib) => sum + (mib ?? 0), own);
}

export interface RssSample {
  /** Seconds since sampling started. */
  t: number;
  mib: number;
}

export interface RssSampler {
  /** Stops sampling and returns every sample taken. */
  stop(): Promise<RssSample[]>;
}

/**
 * Samples the RSS of a server (with its cluster workers) at a fixed
 * interval from the runner, which sits idle while the load comes from the
 * worker process, so sampling costs the measured server nothing.
 */
export function sampleRss(pid: number, intervalMs = 1_000): RssSampler {
  const samples: RssSample[] = [];
  const started = performance.now();
  const take = async () => {
    const mib = await treeRssMiB(pid);
    if (mib !== undefined) samples.push({ t: (performance.now() - started) / 1000, mib });
  };
  const first = take();
  const timer = setInterval(() => void take(), intervalMs);
  return {
    async stop() {
      clearInterval(timer);
      await first;
      await take();
      return samples;
    },
  };
}
