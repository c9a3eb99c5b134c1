import { spawn } from "node:child_process";
import { createRequire } from "node:module";
import { loadConfig } from "../config/config.js";
import { migrationEnv, projectRoot } from "../db/migrations.js";
import { provisionDatabase } from "../db/provision.js";
import { runCli } from "./run.js";
import { stopOnSignals } from "./shutdown.js";

/**
 * `npm run gm -- <graphile-migrate arguments>`: the graphile-migrate CLI with
 * auth-db's connection strings and role placeholders filled in (and the
 * embedded PostgreSQL running while it works).
 */
runCli(async () => {
  const config = loadConfig();
  const database = await provisionDatabase(config.database, { applyMigrations: false });
  stopOnSignals(database.close);
  const cli = createRequire(import.meta.url).resolve("graphile-migrate/dist/cli.js");
  const code = await new Promise<number>((resolve) => {
    const child = spawn(process.execPath, [cli, ...process.argv.slice(2)], {
      cwd: projectRoot,
      stdio: "inherit",
      env: { ...process.env, ...migrationEnv(config.database) },
    });
    child.on("exit", (exitCode) => resolve(exitCode ?? 1));
  });
  await database.close();
  return code;
});
