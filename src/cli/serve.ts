import cluster from "node:cluster";
import type { TokenVerifier } from "../auth/token-verifier.js";
import { configWarnings, loadConfig, type Config } from "../config/config.js";
import { startClusterPrimary } from "../cluster/primary.js";
import { serveAsClusterWorker } from "../cluster/worker.js";
import { logger } from "../observability/logger.js";
import { startService } from "../service.js";
import { stopOnSignals } from "./shutdown.js";

/** Where to reach the server, for the person who started it. */
function printBanner(config: Config, url: string, processes: string, embeddedWhere: string | undefined): void {
  const where = config.database.source.kind === "embedded" ? `embedded PostgreSQL, ${embeddedWhere}` : "DATABASE_URL";
  console.log(`auth-db listening on ${url} (database: ${where}; ${processes})`);
  console.log(`  GraphQL:  ${url}/graphql`);
  if (config.graphiql) console.log(`  GraphiQL: ${url}/graphiql`);
  console.log(`  health:   ${url}/health`);
}

/**
 * What `npm start` does: serve auth-db (embedded PostgreSQL when no
 * DATABASE_URL is set), from this process or, with WEB_CONCURRENCY > 1,
 * from a cluster of worker processes (the same entry point, run again by
 * node:cluster, so the entry point must call this the same way each time).
 */
export async function serve(argv: string[], overrides: { tokenVerifier?: TokenVerifier } = {}): Promise<void> {
  const unknown = argv.filter((arg) => arg !== "--watch-schema");
  if (unknown.length > 0) {
    throw new Error(`unknown argument ${unknown.join(" ")}; npm start takes only --watch-schema`);
  }
  const config = loadConfig();
  const watchSchema = argv.includes("--watch-schema");
  if (cluster.isWorker) return serveAsClusterWorker(config, { watchSchema, ...overrides });
  for (const warning of configWarnings(config)) logger.warn(warning);
  if (config.webConcurrency > 1) {
    const running = await startClusterPrimary(config, config.webConcurrency);
    stopOnSignals(running.stop);
    const schedule = config.lifecycle.schedulerInServer ? "; the schedule runs in the primary" : "";
    printBanner(config, running.url, `${config.webConcurrency} worker processes${schedule}`, running.embeddedWhere);
    return;
  }
  const service = await startService(config, { watchSchema, ...overrides });
  stopOnSignals(service.stop);
  printBanner(config, service.http.url, "one process", service.embeddedWhere);
}
