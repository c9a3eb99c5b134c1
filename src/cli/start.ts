import "../graphile-env.js";
import { loadConfig } from "../config/config.js";
import { startService } from "../service.js";
import { runCli } from "./run.js";
import { stopOnSignals } from "./shutdown.js";

/** `npm start`: serve auth-db (embedded PostgreSQL when no DATABASE_URL is set). */
runCli(async () => {
  const unknown = process.argv.slice(2).filter((arg) => arg !== "--watch-schema");
  if (unknown.length > 0) {
    throw new Error(`unknown argument ${unknown.join(" ")}; npm start takes only --watch-schema`);
  }
  const config = loadConfig();
  const service = await startService(config, { watchSchema: process.argv.includes("--watch-schema") });
  stopOnSignals(service.stop);
  const where = config.database.source.kind === "embedded" ? "embedded PostgreSQL" : "DATABASE_URL";
  console.log(`auth-db listening on ${service.http.url} (database: ${where})`);
  console.log(`  GraphQL:  ${service.http.url}/graphql`);
  if (config.graphiql) console.log(`  GraphiQL: ${service.http.url}/graphiql`);
  console.log(`  health:   ${service.http.url}/health`);
});
