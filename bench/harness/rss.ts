import { readFile } from "node:fs/promises";

/** Resident set size of a process in MiB, from /proc (Linux); undefined once it is gone. */
export async function rssMiB(pid: number): Promise<number | undefined> {
  const status = await readFile(`/proc/${pid}/status`, "utf8").catch(() => undefined);
  const kib = status && /^VmRSS:\s+(\d+)\s+kB$/m.exec(status)?.[1];
  return kib ? Number(kib) / 1024 : undefined;
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
 * Samples a process's RSS at a fixed interval from the runner, which sits
 * idle while the load comes from the worker process, so sampling costs the
 * measured server nothing.
 */
export function sampleRss(pid: number, intervalMs = 1_000): RssSampler {
  const samples: RssSample[] = [];
  const started = performance.now();
  const take = async () => {
    const mib = await rssMiB(pid);
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
