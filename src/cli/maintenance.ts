import { parseArgs } from "node:util";
import { loadConfig } from "../config/config.js";
import { withClient } from "../db/client.js";
import { provisionDatabase } from "../db/provision.js";
import { jobContextFor } from "../lifecycle/context.js";
import { runJob } from "../lifecycle/jobs.js";
import { runCli } from "./run.js";

const USAGE = "usage: npm run maintenance -- [--dry-run] [--at <ISO 8601 time, with --dry-run>]";

/**
 * `npm run maintenance`: partition maintenance now (premake, rehome default
 * rows, retention into schema archive). --dry-run prints what it would do;
 * --at asks what it would do at another moment.
 */
runCli(async () => {
  const { values } = parseArgs({
    options: { "dry-run": { type: "boolean" }, at: { type: "string" } },
    strict: true,
    allowPositionals: false,
  });
  const at = values.at === undefined ? undefined : new Date(values.at);
  if (at && Number.isNaN(at.getTime())) throw new Error(`--at: expected an ISO 8601 time, got "${values.at}"\n${USAGE}`);
  if (at && !values["dry-run"]) throw new Error(`--at only goes with --dry-run: real maintenance runs as of now\n${USAGE}`);

  const config = loadConfig();
  const database = await provisionDatabase(config.database);
  try {
    if (values["dry-run"]) {
      await withClient(config.database.ownerUrl, async (client) => {
        const { rows } = await client.query("select * from auth.run_partition_maintenance($1, true)", [at ?? new Date()]);
        for (const row of rows) console.log(`would ${row.action}\t${row.table_name}\t${row.detail}`);
        if (rows.length === 0) console.log("nothing to do");
      });
    } else {
      const { actions } = await runJob("maintenance", jobContextFor(config));
      for (const row of actions) console.log(`${row.action}\t${row.table_name}\t${row.partition ?? ""}\t${row.detail}`);
      if (actions.length === 0) console.log("nothing to do");
    }
  } finally {
    await database.close();
  }
  return 0;
});
