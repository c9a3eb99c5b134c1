import { createAuthenticatorPool } from "../../src/db/pool.js";
import { beginWithSettingsSql, withRequestSettings } from "../../src/db/request-transaction.js";
import { createTestDatabase, type TestDatabase } from "../helpers/database.js";

let db: TestDatabase;
let pool: ReturnType<typeof createAuthenticatorPool>;
beforeAll(async () => {
  db = await createTestDatabase();
  pool = createAuthenticatorPool(db.config.database.authenticatorUrl, 1);
});
afterAll(async () => {
  await pool?.end();
  await db?.drop();
});


test("settings with quotes, backslashes and unicode reach the transaction unchanged", async () => {
  const awkward = `O'Brien \\ "quoted" \\' ; select 1; -- Zoë ✓`;
  const seen = await withRequestSettings(pool, { "jwt.claims.name": awkward, role: db.config.database.roles.user }, (client) =>
    client.query<{ name: string; role: string }>("select current_setting('jwt.claims.name') as name, current_user as role"),
  );
  expect(seen.rows[0]).toEqual({ name: awkward, role: db.config.database.roles.user });
});

test("settings are local to the request's transaction (the pool has one connection)", async () => {
  await withRequestSettings(pool, { "jwt.claims.leftover": "set" }, async () => undefined);
  const after = await pool.query<{ value: string | null }>("select current_setting('jwt.claims.leftover', true) as value");
  expect(after.rows[0]!.value ?? "").toBe("");
});

test("a setting with a NUL byte is refused before anything is sent", () => {
  expect(() => beginWithSettingsSql({ "jwt.claims.sub": "abc\0def" })).toThrow('setting "jwt.claims.sub": contains a NUL byte');
});

test("begin and the settings go to the database as one statement", () => {
  expect(beginWithSettingsSql({ role: "auth_user", "jwt.claims.sub": "it's" })).toBe(
    "begin; select set_config('role', 'auth_user', true), set_config('jwt.claims.sub', 'it''s', true)",
  );
});

test("pooled connections start with JIT optimization off, as PostGraphile's own adaptor sets it", async () => {
  const { rows } = await pool.query<{ jit_optimize_above_cost: string }>("show jit_optimize_above_cost");
  expect(rows[0]!.jit_optimize_above_cost).toBe("-1");
});
