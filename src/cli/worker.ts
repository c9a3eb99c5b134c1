import { loadConfig } from "../config/config.js";
import { provisionDatabase } from "../db/provision.js";
import { jobContextFor } from "../lifecycle/context.js";
import { CRONTAB, startScheduler } from "../lifecycle/scheduler.js";
import { runCli } from "./run.js";
import { stopOnSignals } from "./shutdown.js";

/** `npm run worker`: the lifecycle schedule in a process of its own (run servers with SCHEDULER_IN_SERVER=false). */
runCli(async () => {
  if (process.argv.length > 2) throw new Error(`npm run worker takes no arguments, got: ${process.argv.slice(2).join(" ")}`);
  const config = loadConfig();
  const database = await provisionDatabase(config.database);
  const runner = await startScheduler(jobContextFor(config));
  stopOnSignals(async () => {
    await runner.stop();
    await database.close();
  });
  console.log(`auth-db worker running (UTC):\n${CRONTAB}`);
});
