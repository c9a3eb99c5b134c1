import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { freePort } from "../helpers/ports.js";
import { eventually, portCloses, postmasterPid, processEnded } from "../helpers/processes.js";
import { startServerProcess, type ServerProcess } from "../helpers/server-process.js";

/*
 * A process supervisor signals the process it started: `npm start`, i.e.
 * npm's own pid, not the node server below it. npm passes SIGTERM and SIGINT
 * on to its child only, so the server must be that child (no shell between).
 */
let dir: string;
beforeEach(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "auth-db-npm-start-"));
  await fs.chmod(dir, 0o755); // for the postgres user, as root
});
afterEach(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

test.each(["SIGTERM", "SIGINT"] as const)(
  "%s to npm's pid stops the server and the embedded PostgreSQL, and npm exits 0",
  async (signal) => {
    let server: ServerProcess | undefined;
    try {
      const pgPort = await freePort();
      const dataDir = path.join(dir, "pg");
      server = await startServerProcess(
        {
          NODE_ENV: "test",
          HOST: "127.0.0.1",
          PORT: String(await freePort()),
          EMBEDDED_PG_DIR: dataDir,
          EMBEDDED_PG_PORT: String(pgPort),
          DEV_ISSUER_KEY_FILE: path.join(dir, "dev-issuer-key.json"),
          ARCHIVE_DIR: path.join(dir, "archive"),
        },
        120_000,
        { viaNpm: true },
      );
      const postgres = await postmasterPid(dataDir);

      server.signal(signal);

      await portCloses(Number(new URL(server.url).port));
      await portCloses(pgPort);
      await eventually(`postgres (pid ${postgres}) ended`, () => processEnded(postgres));
      expect(await server.exited(20_000)).toEqual({ code: 0, signal: null });
      expect(server.output()).toContain(`${signal} received: shutting down`);
    } finally {
      await server?.stop();
    }
  },
  180_000,
);
