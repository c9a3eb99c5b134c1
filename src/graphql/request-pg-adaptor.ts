import type { WithPgClient } from "postgraphile/@dataplan/pg";
import { makeWithPgClientViaPgClientAlreadyInTransaction, type NodePostgresPgClient } from "postgraphile/adaptors/pg";
import type pg from "pg";
import { beginWithSettingsSql, queryInRequestTransaction } from "../db/request-transaction.js";

type PgService = GraphileConfig.PgServiceConfiguration<"@dataplan/pg/adaptors/pg">;

/**
 * A pooled connection as PostGraphile's node-postgres client sees it, where
 * every statement outside a transaction runs in one of its own with the
 * request's settings, in one round trip (queryInRequestTransaction). When
 * PostGraphile opens a transaction (withTransaction's `begin`), the begin
 * carries the settings instead and what follows runs in it as sent, its
 * savepoints and commit included.
 */
function requestConnection(client: pg.PoolClient, settings: Record<string, string>): pg.PoolClient {
  let inTransaction = false;
  const query = async (config: string | pg.QueryConfig, values?: unknown[]) => {
    const statement: pg.QueryConfig = typeof config === "string" ? { text: config, values } : config;
    if (inTransaction) {
      if (statement.text === "commit" || statement.text === "rollback") inTransaction = false;
      return client.query(statement);
    }
    if (statement.text === "begin") {
      inTransaction = true;
      return client.query(beginWithSettingsSql(settings)).catch(async (error: unknown) => {
        inTransaction = false;
        await client.query("rollback").catch(() => undefined);
        throw error;
      });
    }
    return queryInRequestTransaction(client, settings, statement);
  };
  return new Proxy(client, {
    get(target, property) {
      if (property === "query") return query;
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

/**
 * A GraphQL request's database work: Grafast runs each batch of a query,
 * and each mutation statement, through a withPgClient call of its own, so
 * each is one round trip (begin with the role and claims, the statement,
 * commit) where the stock adaptor spends four.
 */
export function requestTransactionsFor(pool: pg.Pool): WithPgClient<NodePostgresPgClient> {
  const withPgClient: WithPgClient<NodePostgresPgClient> = async (pgSettings, callback) => {
    const client = await pool.connect();
    try {
      const connection = requestConnection(client, definedSettings(pgSettings));
      return await makeWithPgClientViaPgClientAlreadyInTransaction(connection, false)(null, callback);
    } finally {
      // A connection still inside a transaction never goes back to the pool.
      const idle = client.getTransactionStatus() === "I";
      client.release(idle ? undefined : new Error("connection left inside a transaction"));
    }
  };
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
