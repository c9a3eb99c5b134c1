import fs from "node:fs/promises";
import { createKey, verifyKey } from "../helpers/api-keys.js";
import { graphql } from "../helpers/http.js";
import { startKeycloakTestbed, type KeycloakTestbed } from "../helpers/keycloak-service.js";
import { personWithRoles, type Person } from "../helpers/people.js";

let bed: KeycloakTestbed;
let admin: Person;
beforeAll(async () => {
  bed = await startKeycloakTestbed();
  admin = await personWithRoles(bed.db, bed.issuer, ["sys_admin"]);
});
afterAll(async () => {
  await bed?.close();
});

/** Every table in the auth schema whose rows, as text, contain `needle`. */
async function tablesContaining(needle: string): Promise<string[]> {
  return bed.db.asOwner(async (client) => {
    const { rows: tables } = await client.query<{ name: string }>(
      `select format('%I.%I', n.nspname, c.relname) as name from pg_class c join pg_namespace n on n.oid = c.relnamespace
        where n.nspname = 'auth' and c.relkind in ('r', 'p') and not c.relispartition order by 1`,
    );
    const found: string[] = [];
    for (const { name } of tables) {
      const { rows } = await client.query(`select 1 from ${name} t where t::text like '%' || $1 || '%' limit 1`, [needle]);
      if (rows.length > 0) found.push(name);
    }
    return found;
  });
}

test("the plaintext key is stored in no table, only its prefix (in the key and its audit record)", async () => {
  const { key } = await createKey(bed.url, admin.headers, { tier: "system", permissions: ["users:read"] });
  await verifyKey(bed.url, key, admin.headers);
  await graphql(bed.url, "{ allUsers { totalCount } }", {}, { "x-api-key": key });
  expect(await tablesContaining(key)).toEqual([]);
  expect(await tablesContaining(key.slice(0, 10))).toEqual(["auth.api_keys", "auth.audit_logs"]);
});

test("the plaintext key appears in no log output", async () => {
  const logged: string[] = [];
  const methods = ["log", "info", "warn", "error", "debug"] as const;
  const originals = methods.map((method) => console[method]);
  for (const method of methods) {
    console[method] = (...args: unknown[]) => {
      logged.push(args.map(String).join(" "));
    };
  }
  let key: string;
  try {
    ({ key } = await createKey(bed.url, admin.headers, { tier: "system", permissions: ["users:read"] }));
    await verifyKey(bed.url, key, admin.headers);
    await graphql(bed.url, "{ allUsers { totalCount } }", {}, { "x-api-key": key });
    await graphql(bed.url, "{ allUsers { totalCount } }", {}, { "x-api-key": `${key}x` });
    await graphql(bed.url, "{ allUsers { totalCount } }", {}, { ...admin.headers, "x-api-key": key });
  } finally {
    methods.forEach((method, index) => {
      console[method] = originals[index]!;
    });
  }
  expect(logged.filter((line) => line.includes(key.slice(10)))).toEqual([]);
  const postgresLog = process.env.AUTH_DB_TEST_PG_LOG;
  if (postgresLog) expect(await fs.readFile(postgresLog, "utf8")).not.toContain(key.slice(10));
});

test("last_used_at is refreshed at most once a minute", async () => {
  const issued = await createKey(bed.url, admin.headers);
  const lastUsed = async () =>
    (await bed.db.asOwner((client) => client.query("select last_used_at from auth.api_keys where id = $1", [issued.id])))
      .rows[0].last_used_at as Date | null;
  await verifyKey(bed.url, issued.key, admin.headers);
  const first = await lastUsed();
  expect(first).not.toBeNull();

  await verifyKey(bed.url, issued.key, admin.headers);
  expect(await lastUsed()).toEqual(first);

  await bed.db.asOwner((client) =>
    client.query("update auth.api_keys set last_used_at = now() - interval '2 minutes' where id = $1", [issued.id]),
  );
  await verifyKey(bed.url, issued.key, admin.headers);
  expect((await lastUsed())!.getTime()).toBeGreaterThan(first!.getTime() - 1);
  expect((await lastUsed())!.getTime()).toBeGreaterThan(Date.now() - 60_000);
});

test("concurrent verifications of one key all succeed", async () => {
  const issued = await createKey(bed.url, admin.headers);
  await bed.db.asOwner((client) =>
    client.query("update auth.api_keys set last_used_at = now() - interval '2 minutes' where id = $1", [issued.id]),
  );
  const results = await Promise.all(Array.from({ length: 50 }, () => verifyKey(bed.url, issued.key, admin.headers)));
  expect(results.map((result) => result.code)).toEqual(Array(50).fill("VALID"));
});

test("no field of the schema takes or returns a key's hash", async () => {
  const { body } = await graphql<{ __schema: { types: Array<{ name: string; fields: Array<{ name: string; args: Array<{ name: string }> }> | null }> } }>(
    bed.url,
    "{ __schema { types { name fields { name args { name } } } } }",
    {},
    admin.headers,
  );
  const mentions = body.data!.__schema.types.flatMap((type) =>
    (type.fields ?? []).flatMap((field) =>
      [field.name, ...field.args.map((arg) => arg.name)].filter((name) => /hash/i.test(name) && !/previousHash|^hash$/.test(name)).map((name) => `${type.name}.${name}`),
    ),
  );
  expect(mentions).toEqual([]);
});
