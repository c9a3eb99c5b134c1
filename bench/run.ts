import os from "node:os";
import path from "node:path";
import { productionProcesses } from "../src/config/config.js";
import { createTestDatabase, type TestDatabase } from "../test/helpers/database.js";
import { TestIssuer } from "../test/helpers/test-issuer.js";
import { Cleanup } from "./harness/cleanup.js";
import { startTestCluster } from "../test/helpers/cluster.js";
import { createContext } from "./harness/context.js";
import { seedFixtures } from "./harness/fixtures.js";
import { startLoadWorker } from "./harness/load-worker.js";
import { elapsedSeconds, log } from "./harness/log.js";
import { describeMachine } from "./harness/machine.js";
import { parseOptions } from "./harness/options.js";
import { serverLogs, tail } from "./harness/processes.js";
import { findPgbench } from "./harness/pgbench.js";
import { writeReport } from "./harness/report.js";
import { runScenarios, skipReason } from "./harness/run-scenarios.js";
import { loadScenarios } from "./harness/scenario-loader.js";
import { startAuthDb, startAuthDbTrustingTokens, startCasbinBaseline, startExpressPgBaseline, type HttpTarget, type IssuerEndpoints } from "./harness/servers.js";
import { profileScenarioStatements } from "./harness/statement-profiling.js";

/*
 * `npm run bench [-- --quick]`: brings up its own PostgreSQL, auth-db and
 * baselines, runs every scenario in bench/scenarios/, and writes
 * bench/RESULTS.md and bench/results.json. See bench/README.md.
 */

process.env.LOG_LEVEL ??= "warn";

/** The servers' logs go away with the temporary directory: show their ends while they exist. */
async function showServerLogs(): Promise<void> {
  for (const file of serverLogs()) log(`last lines of ${path.basename(file)}:\n${await tail(file)}`);
}

async function main(cleanup: Cleanup): Promise<number> {
  const options = parseOptions(process.argv.slice(2));
  const loadAverageAtStart = os.loadavg();
  log(`auth-db bench, ${options.mode} mode`);
  const scenarios = await loadScenarios();
  const runnable = scenarios.filter((scenario) => !skipReason(scenario, options));

  log("starting an embedded PostgreSQL");
  const cluster = await startTestCluster();
  cleanup.add("embedded PostgreSQL", cluster.destroy);
  const db = await createTestDatabase({ rootUrl: cluster.rootUrl });
  const testIssuer = await TestIssuer.start();
  cleanup.add("test issuer", () => testIssuer.close());
  const issuer: IssuerEndpoints = {
    issuer: testIssuer.issuer,
    jwksUrl: `${testIssuer.issuer}/protocol/openid-connect/certs`,
    audience: "auth-db",
  };
  log("seeding 10 000 users");
  const fixtures = await seedFixtures(db, testIssuer);
  const launch = { db, issuer, bypassRole: fixtures.bypassRole, logDir: cluster.dir };

  log("counting SQL statements per request");
  const profiles = await profileScenarioStatements(runnable, fixtures, launch, cluster.database.port);

  log("starting auth-db");
  const authDb = await startAuthDb(launch);
  cleanup.add("auth-db", authDb.stop);
  const worker = startLoadWorker();
  cleanup.add("load worker", worker.close);
  const pgbenchVersion = await findPgbench();
  const started = <A extends unknown[]>(start: (...args: A) => Promise<HttpTarget>) => async (...args: A) => {
    const target = await start(...args);
    cleanup.add(target.name, target.stop);
    return target;
  };
  const context = createContext({
    options,
    fixtures,
    db,
    database: db.config.database,
    authDb,
    startExpressPg: started(() => startExpressPgBaseline({ db, issuer, logDir: cluster.dir })),
    startExpressPgInAuthDbsShape: started(() => startExpressPgBaseline({ db, issuer, logDir: cluster.dir }, productionProcesses())),
    startCasbin: started(() => startCasbinBaseline({ db, issuer, logDir: cluster.dir })),
    startAuthDb: started((name: string, on?: TestDatabase) =>
      startAuthDb(on ? { db: on, issuer, logDir: cluster.dir, name } : { ...launch, name })),
    createDatabase: async () => {
      const created = await createTestDatabase({ rootUrl: cluster.rootUrl });
      cleanup.add(`database ${created.config.database.databaseName}`, created.drop);
      return created;
    },
    startAuthDbTrustingTokens: started(() => startAuthDbTrustingTokens(launch)),
    pgbenchVersion,
    worker,
    workDir: cluster.dir,
    log,
  });

  const results = await runScenarios(scenarios, context, profiles);
  if (results.some((result) => result.status === "failed")) await showServerLogs();
  const machine = await describeMachine(cluster.rootUrl, pgbenchVersion, loadAverageAtStart);
  const totalSeconds = elapsedSeconds();
  const written = await writeReport({
    generatedAt: new Date().toISOString(),
    mode: options.mode,
    totalSeconds,
    options,
    machine,
    scenarios: results,
  });
  log(`wrote ${written.markdown} and ${written.json}`);
  log(`bench took ${totalSeconds.toFixed(1)} s`);
  return results.some((result) => result.status === "failed") ? 1 : 0;
}

const cleanup = new Cleanup();
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    log(`${signal}: stopping everything the bench started`);
    void cleanup.run().then(() => process.exit(130));
  });
}
main(cleanup).then(
  async (code) => {
    await cleanup.run();
    process.exit(code);
  },
  async (error: unknown) => {
    console.error((error as Error)?.stack ?? error, (error as Error)?.cause ?? "");
    await showServerLogs();
    await cleanup.run();
    process.exit(1);
  },
);
