import type { WithPgClient } from "postgraphile/@dataplan/pg";
import { makeWithPgClientViaPgClientAlreadyInTransaction, type NodePostgresPgClient } from "postgraphile/adaptors/pg";
import type pg from "pg";
import { withRequestSettings } from "../db/request-transaction.js";

type PgService = GraphileConfig.PgServiceConfiguration<"@dataplan/pg/adaptors/pg">;

/**
 * A GraphQL request's database work in three round trips instead of the
 * stock adaptor's four: its transaction opens with the role and claims in
 * the same message as `begin` (src/db/request-transaction.ts), then
 * Grafast's queries run in it, then commit. Mutations' own transactions
 * become savepoints inside it, as in the stock adaptor.
 */
export function requestTransactionsFor(pool: pg.Pool): WithPgClient<NodePostgresPgClient> {
  const withPgClient: WithPgClient<NodePostgresPgClient> = (pgSettings, callback) =>
    withRequestSettings(pool, definedSettings(pgSettings), (client) =>
      makeWithPgClientViaPgClientAlreadyInTransaction(client, true)(null, callback),
    );
  withPgClient.release = () => {};
  return withPgClient;
}

function definedSettings(pgSettings: Record<string, string | undefined> | null): Record<string, string> {
  const settings: Record<string, string> = {};
  for (const [name, value] of Object.entries(pgSettings ?? {})) {
    if (value != null) settings[name] = String(value);
  }
  return settings;
}

/**
 * The service with request transactions for GraphQL requests; the superuser
 * client (schema watching in development) stays the stock adaptor's.
 */
export function withRequestTransactions(service: PgService, pool: pg.Pool): PgService {
  const stock = service.adaptor;
  return {
    ...service,
    adaptor: {
      ...stock,
      createWithPgClient: (settings, variant) =>
        variant === "SUPERUSER" ? stock.createWithPgClient(settings, variant) : requestTransactionsFor(pool),
    },
  };
}
