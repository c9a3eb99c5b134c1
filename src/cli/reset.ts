import { loadConfig } from "../config/config.js";
import { reset } from "../db/migrations.js";
import { provisionDatabase } from "../db/provision.js";
import { runCli } from "./run.js";

/** `npm run db:reset`: drop the database and rebuild it from committed migrations. Development only. */
runCli(async () => {
  const config = loadConfig();
  if (config.nodeEnv === "production") {
    throw new Error("db:reset refuses to run with NODE_ENV=production: it drops every table");
  }
  const database = await provisionDatabase(config.database, { applyMigrations: false });
  try {
    await reset(config.database);
  } finally {
    await database.close();
  }
  return 0;
});
