import { createAuthenticatorPool } from "../../src/db/pool.js";
import { beginWithSettingsSql, queryWithRequestSettings } from "../../src/db/request-transaction.js";
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
  const seen = await queryWithRequestSettings<{ name: string; role: string }>(
    pool,
    { "jwt.claims.name": awkward, role: db.config.database.roles.user },
    { text: "select current_setting('jwt.claims.name') as name, current_user as role" },
  );
  expect(seen.rows[0]).toEqual({ name: awkward, role: db.config.database.roles.user });
});

test("settings are local to the request's transaction (the pool has one connection)", async () => {
  await queryWithRequestSettings(pool, { "jwt.claims.leftover": "set" }, { text: "select 1" });
  const after = await pool.query<{ value: string | null }>("select current_setting('jwt.claims.leftover', true) as value");
  expect(after.rows[0]!.value ?? "").toBe("");
});

test("a statement whose settings are refused never runs", async () => {
  const attempt = queryWithRequestSettings(pool, { role: "no_such_role" }, { text: "select set_config('jwt.claims.ran', 'yes', false)" });
  await expect(attempt).rejects.toThrow('role "no_such_role" does not exist');
  const after = await pool.query<{ value: string | null }>("select current_setting('jwt.claims.ran', true) as value");
  expect(after.rows[0]!.value ?? "").toBe("");
});

test("a failing statement rolls its transaction back and leaves the connection usable", async () => {
  await expect(queryWithRequestSettings(pool, {}, { text: "select 1 / 0" })).rejects.toThrow("division by zero");
  const after = await pool.query<{ ok: number }>("select 1 as ok");
  expect(after.rows[0]!.ok).toBe(1);
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
