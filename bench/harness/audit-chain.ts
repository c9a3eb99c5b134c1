import pg from "pg";

/** The advisory lock auth.chain_audit_logs tries first; whoever holds it is the only chainer. */
const CHAIN_LOCK = "select pg_advisory_lock(hashtext('auth.audit_chain'))";
const CHAIN_UNLOCK = "select pg_advisory_unlock(hashtext('auth.audit_chain'))";

export async function connect(url: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  return client;
}

/**
 * Holds the chain lock on a connection of its own, so every chainer
 * (auth-db's runs every second) links nothing until release: audit rows are
 * inserted exactly as usual, just not chained meanwhile.
 */
export async function holdChainOff(ownerUrl: string): Promise<{ release(): Promise<void> }> {
  const client = await connect(ownerUrl);
  await client.query(CHAIN_LOCK);
  return {
    async release() {
      await client.query(CHAIN_UNLOCK);
      await client.end();
    },
  };
}

/** For the report: what linkEverything did, or that auth-db's chainer had already done it. */
export function describeLinking(linking: LinkingTime): string {
  return linking.rows > 0
    ? `${linking.rows} pending rows linked in ${linking.seconds.toFixed(2)} s (${linking.rowsPerSecond.toFixed(0)} rows/s)`
    : "nothing pending: auth-db's chainer had linked every row already";
}

export async function unlinkedRows(client: pg.Client): Promise<number> {
  const { rows } = await client.query<{ n: number }>("select count(*)::int as n from auth.audit_logs where seq is null");
  return rows[0]!.n;
}

export interface LinkingTime {
  rows: number;
  seconds: number;
  rowsPerSecond: number;
}

/**
 * Links every pending audit row the way auth-db's chainer does (batches of
 * 10 000), timing it. auth-db's own chainer may take a batch meanwhile; the
 * clock only stops when nothing is left unlinked, whoever linked it.
 */
export async function linkEverything(client: pg.Client): Promise<LinkingTime> {
  const rows = await unlinkedRows(client);
  const started = performance.now();
  while ((await unlinkedRows(client)) > 0) {
    const { rows: linked } = await client.query<{ n: number }>("select auth.chain_audit_logs(10000) as n");
    // 0: another chainer holds the lock right now.
    if (linked[0]!.n === 0) await new Promise((resolve) => setTimeout(resolve, 20));
  }
  const seconds = (performance.now() - started) / 1000;
  return { rows, seconds, rowsPerSecond: rows > 0 ? rows / seconds : 0 };
}
