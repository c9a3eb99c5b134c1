import { fork, type ChildProcess } from "node:child_process";
import path from "node:path";
import type { LoadJob, LoadOutcome, WorkerReply } from "../load/jobs.js";
import { benchDir, projectRoot } from "./paths.js";

export interface LoadWorker {
  run(job: LoadJob): Promise<LoadOutcome>;
  close(): Promise<void>;
}

/**
 * Forks the load generator (bench/load/worker.ts) once and hands it jobs one
 * at a time; one long-lived worker saves a tsx start per run.
 */
export function startLoadWorker(): LoadWorker {
  const child: ChildProcess = fork(path.join(benchDir, "load/worker.ts"), [], {
    cwd: projectRoot,
    execArgv: ["--import", "tsx"],
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  let nextId = 0;
  const pending = new Map<number, { resolve: (outcome: LoadOutcome) => void; reject: (error: Error) => void }>();
  child.on("message", (reply: WorkerReply) => {
    const waiter = pending.get(reply.id);
    pending.delete(reply.id);
    if ("error" in reply) waiter?.reject(new Error(`load worker: ${reply.error}`));
    else waiter?.resolve(reply.outcome);
  });
  child.on("exit", (code, signal) => {
    for (const waiter of pending.values()) waiter.reject(new Error(`load worker exited (${code ?? signal})`));
    pending.clear();
  });
  return {
    run(job) {
      const id = ++nextId;
      return new Promise((resolve, reject) => {
        pending.set(id, { resolve, reject });
        child.send({ id, job });
      });
    },
    async close() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
      child.disconnect();
      const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
