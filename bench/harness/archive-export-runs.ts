import { fork } from "node:child_process";
import path from "node:path";
import { benchDir, projectRoot } from "./paths.js";

/** One measurement for the archive-export child: drain the export's COPY into nothing, or run the whole export. */
export interface ArchiveJob {
  kind: "copy" | "export";
  ownerUrl: string;
  /** The table in schema archive; an export must find it alone there. */
  table: string;
  /** The local-directory target's root (export only). */
  dir: string;
}

export interface ArchiveJobResult {
  /** Wall time of the work alone, not the process's start. */
  seconds: number;
  /** RSS once modules were loaded and the connection opened, when the peak was reset. */
  rssAtStartMiB: number;
  /** The kernel's high-water mark of RSS over the work (VmHWM). */
  peakRssMiB: number;
  /** CSV bytes the COPY produced (copy only). */
  csvBytes?: number;
  /** Rows exported and gzip bytes written (export only). */
  rows?: number;
  gzipBytes?: number;
}

type ChildReply = ArchiveJobResult | { error: string };

/**
 * Runs one job in a forked process (bench/harness/archive-export-child.ts)
 * so its memory is measured apart from the runner's; a child that fails,
 * exits without answering or outlives `timeoutMs` fails the scenario.
 */
export function runArchiveJob(job: ArchiveJob, timeoutMs = 15 * 60_000): Promise<ArchiveJobResult> {
  const child = fork(path.join(benchDir, "harness/archive-export-child.ts"), [JSON.stringify(job)], {
    cwd: projectRoot,
    execArgv: ["--import", "tsx"],
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  return new Promise((resolve, reject) => {
    let reply: ChildReply | undefined;
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.once("message", (message: ChildReply) => (reply = message));
    child.once("close", (code, signal) => {
      clearTimeout(timer);
      if (reply && !("error" in reply)) resolve(reply);
      else reject(new Error(`archive ${job.kind} of archive.${job.table}: ${reply?.error ?? `the child exited (${code ?? signal}) without an answer`}`));
    });
  });
}
