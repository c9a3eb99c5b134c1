import cluster from "node:cluster";

/**
 * Serves from `count` processes in the shape auth-db's `npm start` takes
 * with WEB_CONCURRENCY > 1: a node:cluster primary forks the workers, which
 * share one port (the primary hands them connections in turn) while it
 * serves nothing itself. With one, this process serves.
 *
 * SIGTERM to the primary stops every worker, then the primary. A worker that
 * exits on its own ends the primary (and so the other workers) with an
 * error: a broken baseline shows as failed requests and fails the next
 * run's answer check, rather than serving from fewer processes unnoticed.
 */
export function serveFromProcesses(count: number, serve: () => void): void {
  if (count === 1 || cluster.isWorker) return serve();
  let stopping = false;
  const workers = Array.from({ length: count }, () => cluster.fork());
  cluster.on("exit", (worker, code, signal) => {
    if (!stopping) {
      console.error(`baseline worker ${worker.process.pid} exited (${signal ?? code}) while serving`);
      process.exit(1);
    }
    if (workers.every((each) => each.isDead())) process.exit(0);
  });
  process.on("SIGTERM", () => {
    stopping = true;
    for (const worker of workers) worker.process.kill("SIGTERM");
  });
}
