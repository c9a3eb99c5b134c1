import { spawn, type ChildProcess } from "node:child_process";
import { createRequire } from "node:module";
import { stopOnSignals } from "../cli/shutdown.js";
import { runCli } from "../cli/run.js";
import { loadConfig } from "../config/config.js";
import { closeIdleMigrationConnections, projectRoot, watchCurrent } from "../db/migrations.js";
import { provisionDatabase, type ProvisionedDatabase } from "../db/provision.js";

/** Stops the server (tsx watch relays SIGTERM to it) and waits until it has exited. */
async function stopServer(server: ChildProcess | undefined): Promise<void> {
  if (!server || server.exitCode !== null || server.signalCode !== null) return;
  const exited = new Promise((resolve) => server.once("exit", resolve));
  server.kill("SIGTERM");
  await exited;
}

/**
 * The development loop that `npm run dev` runs in a process group of its own
 * (src/dev/process-group.ts): the database (embedded unless DATABASE_URL is
 * set), the server in a child process that restarts on code changes and
 * rebuilds its GraphQL schema whenever the database schema changes, and
 * `graphile-migrate watch` on migrations/current.sql in this process. A
 * signal stops them in that order: server, migration connections, database.
 *
 * The server gets this process's environment unchanged, so it loads the same
 * configuration: with the embedded database it attaches to the cluster this
 * process started (and says so), rather than being told a DATABASE_URL.
 */
runCli(async () => {
  const config = loadConfig();
  if (config.nodeEnv === "production") {
    throw new Error("npm run dev is for development; refusing with NODE_ENV=production");
  }
  const { database } = config;
  if (!database.rootUrl || !database.shadowUrl) {
    throw new Error("npm run dev needs ROOT_DATABASE_URL and SHADOW_DATABASE_URL when DATABASE_URL is set");
  }
  let provisioned: ProvisionedDatabase | undefined;
  let server: ChildProcess | undefined;
  stopOnSignals(async () => {
    await stopServer(server);
    closeIdleMigrationConnections();
    await provisioned?.close();
  });
  // `npm run dev` gone without relaying a signal (killed, terminal closed): stop all the same.
  process.once("disconnect", () => process.kill(process.pid, "SIGTERM"));

  provisioned = await provisionDatabase(database);
  const tsx = createRequire(import.meta.url).resolve("tsx/cli");
  server = spawn(process.execPath, [tsx, "watch", "src/cli/start.ts", "--watch-schema"], {
    cwd: projectRoot,
    stdio: ["ignore", "inherit", "inherit"],
  });
  await watchCurrent(database);
});
