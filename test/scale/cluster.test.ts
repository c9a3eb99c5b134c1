import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { postOnFreshConnection } from "../helpers/fresh-connection.js";
import { freePort, portAccepts } from "../helpers/ports.js";
import { startServerProcess, type ServerProcess } from "../helpers/server-process.js";

/*
 * `npm start` as a developer runs it, embedded PostgreSQL included (in a
 * temporary directory, on a free port), with WEB_CONCURRENCY=2.
 */
const QUERY = '{ hasPermission(resource: "users", action: read) }';
let dir: string;
let pgPort: number;
let server: ServerProcess;
beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "auth-db-cluster-"));
  await fs.chmod(dir, 0o755); // for the postgres user, as root
  pgPort = await freePort();
  server = await startServerProcess({
    NODE_ENV: "test",
    HOST: "127.0.0.1",
    PORT: String(await freePort()),
    WEB_CONCURRENCY: "2",
    // The primary logs each worker's start and exit at info and warn.
    LOG_LEVEL: "info",
    EMBEDDED_PG_DIR: path.join(dir, "pg"),
    EMBEDDED_PG_PORT: String(pgPort),
    DEV_ISSUER_KEY_FILE: path.join(dir, "dev-issuer-key.json"),
    ARCHIVE_DIR: path.join(dir, "archive"),
  });
}, 120_000);
afterAll(async () => {
  await server?.stop();
  if (dir) await fs.rm(dir, { recursive: true, force: true });
});

/** The pid of each ready worker, by slot, from the primary's log. */
function readyWorkers(): Map<number, number> {
  const pids = new Map<number, number>();
  for (const [, slot, pid] of server.output().matchAll(/worker (\d+) \(pid (\d+)\) ready/g)) pids.set(Number(slot), Number(pid));
  return pids;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** `count` queries one after another, each on a new connection; their HTTP statuses. */
async function statusesOf(count: number): Promise<number[]> {
  const statuses: number[] = [];
  for (let sent = 0; sent < count; sent++) statuses.push((await postOnFreshConnection(server.url, QUERY)).status);
  return statuses;
}

test("two workers serve, each a process of its own", async () => {
  // Workers start side by side: either may be ready first.
  await server.waitForOutput(/worker 1 \(pid \d+\) ready/);
  await server.waitForOutput(/worker 2 \(pid \d+\) ready/);
  const pids = readyWorkers();
  expect([...pids.keys()].sort()).toEqual([1, 2]);
  expect(pids.get(1)).not.toBe(pids.get(2));
  expect(await statusesOf(4)).toEqual([200, 200, 200, 200]);
});

test("a worker killed with SIGKILL is restarted while the other keeps answering", async () => {
  const killed = readyWorkers().get(1)!;
  process.kill(killed, "SIGKILL");
  await server.waitForOutput(new RegExp(`worker 1 \\(pid ${killed}\\) exited \\(signal SIGKILL\\); restarting it in 500 ms`));
  expect(await statusesOf(10)).toEqual(Array(10).fill(200));

  const [, replacement] = (await server.waitForOutput(new RegExp(`worker 1 \\(pid (?!${killed}\\))(\\d+)\\) ready`)))!;
  expect(isAlive(Number(replacement))).toBe(true);
  expect(await statusesOf(10)).toEqual(Array(10).fill(200));
});

test("the lifecycle schedule runs in one process only, the primary, also after a worker restarted", () => {
  // graphile-worker prints this line once per scheduler it starts; three workers have started by now.
  const output = server.output();
  expect(output.match(/Worker connected and looking for jobs/g)).toHaveLength(1);
  // The primary starts it before it forks the first worker.
  expect(output.indexOf("Worker connected and looking for jobs")).toBeLessThan(output.search(/worker \d \(pid \d+\) ready/));
});

test("SIGTERM stops the workers, then the embedded database, and exits 0", async () => {
  const workers = [...readyWorkers().values()].filter(isAlive);
  server.signal("SIGTERM");
  expect(await server.exited(30_000)).toEqual({ code: 0, signal: null });
  expect(workers.filter(isAlive)).toEqual([]);
  await expect(fs.access(path.join(dir, "pg", "postmaster.pid"))).rejects.toThrow();
  expect(await portAccepts(pgPort)).toBe(false);
});
