import { startStatementCounter, type StatementCounter } from "../../bench/harness/statement-counter.js";
import { createAuthenticatorPool } from "../../src/db/pool.js";
import { requestTransactionsFor } from "../../src/graphql/request-pg-adaptor.js";
import { createTestDatabase, type TestDatabase } from "../helpers/database.js";

let db: TestDatabase;
let counter: StatementCounter;
let pool: ReturnType<typeof createAuthenticatorPool>;
let withPgClient: ReturnType<typeof requestTransactionsFor>;
let settings: Record<string, string>;

beforeAll(async () => {
  db = await createTestDatabase();
  const database = new URL(db.config.database.authenticatorUrl);
  counter = await startStatementCounter({ host: database.hostname, port: Number(database.port) });
  database.hostname = "127.0.0.1";
  database.port = String(counter.port);
  // One connection, so every test sees what the previous one left on it.
  pool = createAuthenticatorPool(database.toString(), 1);
  withPgClient = requestTransactionsFor(pool);
  settings = { role: db.config.database.roles.user, "jwt.claims.sub": "adaptor-sub" };
});
afterAll(async () => {
  await pool?.end();
  await counter?.close();
  await db?.drop();
});

interface Seen {
  role: string;
  sub: string;
  mark: string | null;
}
const SEEN = "select current_user as role, current_setting('jwt.claims.sub') as sub, current_setting('jwt.claims.mark', true) as mark";

test("a statement runs as the request's role with its claims", async () => {
  const { rows } = await withPgClient(settings, (client) => client.query<Seen>({ text: SEEN }));
  expect(rows[0]).toMatchObject({ role: db.config.database.roles.user, sub: "adaptor-sub" });
});

test("a statement reaches the database with its begin and commit in one round trip", async () => {
  await withPgClient(settings, (client) => client.query({ text: "select 1" }));
  counter.reset();
  await withPgClient(settings, (client) => client.query({ text: "select 1" }));
  expect({ statements: counter.statements.length, roundTrips: counter.roundTrips }).toEqual({ statements: 3, roundTrips: 1 });
});

test("each statement outside a transaction runs in a transaction of its own", async () => {
  const { rows } = await withPgClient(settings, async (client) => {
    await client.query({ text: "select set_config('jwt.claims.mark', 'set', true)" });
    return client.query<Seen>({ text: SEEN });
  });
  expect(rows[0]!.mark ?? "").toBe("");
});

test("statements inside withTransaction share one transaction that carries the request's settings", async () => {
  const { rows } = await withPgClient(settings, (client) =>
    client.withTransaction(async (transaction) => {
      await transaction.query({ text: "select set_config('jwt.claims.mark', 'set', true)" });
      return transaction.query<Seen>({ text: SEEN });
    }),
  );
  expect(rows[0]).toEqual({ role: db.config.database.roles.user, sub: "adaptor-sub", mark: "set" });
});

test("a transaction whose settings are refused is rolled back and its connection stays usable", async () => {
  const refused = withPgClient({ role: "no_such_role" }, (client) =>
    client.withTransaction((transaction) => transaction.query({ text: "select 1" })),
  );
  await expect(refused).rejects.toThrow('role "no_such_role" does not exist');
  const { rows } = await withPgClient(settings, (client) => client.query<Seen>({ text: SEEN }));
  expect(rows[0]!.sub).toBe("adaptor-sub");
});
