import { createTestDatabase, type TestDatabase } from "../helpers/database.js";

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db?.drop();
});

/** Runs one statement as the owner and returns the SQLSTATE it failed with. */
async function failureOf(sql: string, values: unknown[] = []): Promise<string> {
  return db.asOwner(async (client) => {
    try {
      await client.query(sql, values);
    } catch (error) {
      return (error as { code: string }).code;
    }
    throw new Error(`expected the statement to fail: ${sql}`);
  });
}

test("a role with an unknown tier is rejected", async () => {
  expect(await failureOf("insert into auth.roles (name, tier) values ('x_role', 'galactic')")).toBe("22P02");
});

test("a permission with an unknown action is rejected", async () => {
  expect(await failureOf("insert into auth.permissions (resource, action) values ('reports', 'execute')")).toBe(
    "22P02",
  );
});

test("a second (resource, action) pair is rejected", async () => {
  expect(await failureOf("insert into auth.permissions (resource, action) values ('users', 'read')")).toBe("23505");
});

test("a second user with the same email, in any case, is rejected", async () => {
  await db.asOwner((client) =>
    client.query("insert into auth.users (username, email) values ('aiko', 'aiko@example.com')"),
  );
  expect(
    await failureOf("insert into auth.users (username, email) values ('aiko2', 'Aiko@Example.com')"),
  ).toBe("23505");
});

test("a second user with the same username, in any case, is rejected", async () => {
  await db.asOwner((client) => client.query("insert into auth.users (username) values ('kenji')"));
  expect(await failureOf("insert into auth.users (username) values ('Kenji')")).toBe("23505");
});

test("a malformed email is rejected", async () => {
  expect(await failureOf("insert into auth.users (username, email) values ('mika', 'not-an-email')")).toBe("23514");
});

test("an API key prefix longer than 10 characters is rejected", async () => {
  expect(
    await failureOf(
      "insert into auth.api_keys (name, key_hash, key_prefix, service_name) values ('k', sha256('x'), 'abcdefghijk', 'svc')",
    ),
  ).toBe("23514");
});

test("updating a row stamps updated_at", async () => {
  const [before, after] = await db.asOwner(async (client) => {
    const inserted = await client.query(
      "insert into auth.roles (name, tier, updated_at) values ('stamp_role', 'business', now() - interval '1 day') returning updated_at",
    );
    const updated = await client.query(
      "update auth.roles set description = 'changed' where name = 'stamp_role' returning updated_at",
    );
    return [inserted.rows[0].updated_at as Date, updated.rows[0].updated_at as Date];
  });
  expect(after.getTime()).toBeGreaterThan(before.getTime());
});
