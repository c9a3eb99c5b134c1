import type { Fixtures } from "./fixtures.js";
import { profileStatements, type StatementProfile } from "./count-statements.js";
import { startAuthDb, type AuthDbLaunch } from "./servers.js";
import { startStatementCounter } from "./statement-counter.js";
import type { Scenario } from "./types.js";

export type StatementProfiles = Record<string, Record<string, StatementProfile>>;

/**
 * Counts, per request, the statements auth-db sends to PostgreSQL, before
 * any load and on a second auth-db instance whose pool goes through a
 * counting proxy, so the measured instance runs without the proxy.
 */
export async function profileScenarioStatements(
  scenarios: Scenario[],
  fixtures: Fixtures,
  launch: Omit<AuthDbLaunch, "authenticatorUrl" | "name">,
  postgresPort: number,
): Promise<StatementProfiles> {
  const wanted = scenarios.filter((scenario) => scenario.countStatementsOf);
  if (wanted.length === 0) return {};
  const counter = await startStatementCounter({ host: "127.0.0.1", port: postgresPort });
  try {
    const authenticatorUrl = new URL(launch.db.config.database.authenticatorUrl);
    authenticatorUrl.port = String(counter.port);
    const server = await startAuthDb({
      ...launch,
      name: "auth-db-statement-count",
      authenticatorUrl: authenticatorUrl.toString(),
      // Background work shares the pool and would land in a request's count: the audit
      // chainer's first tick comes after the longest interval allowed, the job scheduler not at all.
      extraEnv: { AUDIT_CHAIN_INTERVAL_MS: "60000", SCHEDULER_IN_SERVER: "false" },
    });
    try {
      const profiles: StatementProfiles = {};
      for (const scenario of wanted) {
        profiles[scenario.id] = {};
        for (const [key, request] of Object.entries(scenario.countStatementsOf!(fixtures))) {
          profiles[scenario.id]![key] = await profileStatements(server.url, counter, request);
        }
      }
      return profiles;
    } finally {
      await server.stop();
    }
  } finally {
    await counter.close();
  }
}
