import { spawn } from "node:child_process";
import { createRequire } from "node:module";
import { loadConfig } from "../config/config.js";
import { migrationEnv, projectRoot, watchCurrent } from "../db/migrations.js";
import { provisionDatabase } from "../db/provision.js";
import { runCli } from "./run.js";
import { stopOnSignals } from "./shutdown.js";

/**
 * `npm run dev`: the database (embedded unless DATABASE_URL is set), then
 * `graphile-migrate watch` on migrations/current.sql in this process, and the
 * server in a child process that restarts on code changes and rebuilds its
 * GraphQL schema whenever the database schema changes.
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
  const provisioned = await provisionDatabase(database);

  const tsx = createRequire(import.meta.url).resolve("tsx/cli");
  const server = spawn(process.execPath, [tsx, "watch", "src/cli/start.ts", "--watch-schema"], {
    cwd: projectRoot,
    stdio: "inherit",
    env: {
      ...process.env,
      ...migrationEnv(database),
      AUTHENTICATOR_DATABASE_URL: database.authenticatorUrl,
      DATABASE_ROLE_PREFIX: database.roles.prefix,
    },
  });

  stopOnSignals(async () => {
    const exited = new Promise((resolve) => server.once("exit", resolve));
    server.kill("SIGTERM");
    await exited;
    await provisioned.close();
  });
  await watchCurrent(database);
});
