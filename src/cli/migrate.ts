import { loadConfig } from "../config/config.js";
import { provisionDatabase } from "../db/provision.js";
import { runCli } from "./run.js";

/** `npm run migrate`: create roles and database if needed, apply committed migrations, stop. */
runCli(async () => {
  const database = await provisionDatabase(loadConfig().database);
  await database.close();
  return 0;
});
