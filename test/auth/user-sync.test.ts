import { randomUUID } from "node:crypto";
import pg from "pg";
import { CredentialRejected } from "../../src/auth/errors.js";
import { pgSettingsFor, type Identity } from "../../src/auth/identity.js";
import { UserSync } from "../../src/auth/user-sync.js";
import { grantRole } from "../../src/ops/user-roles.js";
import { graphql } from "../helpers/http.js";
import { startKeycloakTestbed, type KeycloakTestbed } from "../helpers/keycloak-service.js";

let bed: KeycloakTestbed;
beforeAll(async () => {
  bed = await startKeycloakTestbed();
});
afterAll(async () => {
  await bed?.close();
});

async function profilesOf(sub: string) {
  const { rows } = await bed.db.asOwner((client) =>
    client.query("select username, email, display_name from auth.users where keycloak_sub = $1", [sub]),
  );
  return rows;
}

function ask(token: string) {
  return graphql(bed.url, "{ currentUser { username } }", {}, { authorization: `Bearer ${token}` });
}

test("the first request of a new sub creates its profile from the claims", async () => {
  const sub = randomUUID();
  await ask(await bed.issuer.token({ sub, username: "hanako", email: "hanako@example.com", name: "Hanako Yamada" }));
  expect(await profilesOf(sub)).toEqual([{ username: "hanako", email: "hanako@example.com", display_name: "Hanako Yamada" }]);
});

test("concurrent first requests of a new sub create exactly one profile", async () => {
  const sub = randomUUID();
  const token = await bed.issuer.token({ sub, username: "rushed" });
  const responses = await Promise.all(Array.from({ length: 20 }, () => ask(token)));
  expect(responses.map((response) => response.status)).toEqual(Array(20).fill(200));
  expect(await profilesOf(sub)).toHaveLength(1);
});

test("changed claims are synced on the next request", async () => {
  const sub = randomUUID();
  await ask(await bed.issuer.token({ sub, username: "kenji", email: "kenji@old.example" }));
  await ask(await bed.issuer.token({ sub, username: "kenji", email: "kenji@new.example" }));
  expect(await profilesOf(sub)).toEqual([{ username: "kenji", email: "kenji@new.example", display_name: "kenji" }]);
});

test("a profile an operator created before first sign-in is linked to the Keycloak account", async () => {
  await bed.db.asOwner((client) => grantRole(client, { username: "yuki" }, "sys_auditor"));
  const sub = randomUUID();
  const response = await graphql<{ currentUser: { username: string; roles: { nodes: Array<{ name: string }> } } }>(
    bed.url,
    "{ currentUser { username roles { nodes { name } } } }",
    {},
    { authorization: `Bearer ${await bed.issuer.token({ sub, username: "yuki" })}` },
  );
  expect(response.body.data!.currentUser).toEqual({ username: "yuki", roles: { nodes: [{ name: "sys_auditor" }] } });
  const { rows } = await bed.db.asOwner((client) =>
    client.query("select count(*)::int as n from auth.users where lower(username) = 'yuki'"),
  );
  expect(rows[0].n).toBe(1);
});

test("a new Keycloak account whose username another profile holds is refused with 409 PROFILE_CONFLICT", async () => {
  await ask(await bed.issuer.token({ username: "taken" }));
  const response = await ask(await bed.issuer.token({ username: "taken" }));
  expect({ status: response.status, code: response.body.errors?.[0]?.extensions?.code }).toEqual({ status: 409, code: "PROFILE_CONFLICT" });
});

test("an unverified email is not stored", async () => {
  const sub = randomUUID();
  await ask(await bed.issuer.token({ sub, username: "unverified", email: "unverified@example.com", claims: { email_verified: false } }));
  expect(await profilesOf(sub)).toEqual([{ username: "unverified", email: null, display_name: "unverified" }]);
});

test("an email whose email_verified claim is absent is not stored", async () => {
  const sub = randomUUID();
  await ask(await bed.issuer.token({ sub, username: "unstated", email: "unstated@example.com", claims: { email_verified: undefined } }));
  expect(await profilesOf(sub)).toEqual([{ username: "unstated", email: null, display_name: "unstated" }]);
});

test("an unverified email that another profile holds neither conflicts with nor reaches that profile", async () => {
  const owner = randomUUID();
  await ask(await bed.issuer.token({ sub: owner, username: "mail-owner", email: "owner@example.com" }));
  const claimant = randomUUID();
  const response = await ask(await bed.issuer.token({ sub: claimant, username: "mail-claimant", email: "OWNER@example.com", claims: { email_verified: false } }));
  expect({ status: response.status, data: response.body.data }).toEqual({ status: 200, data: { currentUser: { username: "mail-claimant" } } });
  expect(await profilesOf(claimant)).toEqual([{ username: "mail-claimant", email: null, display_name: "mail-claimant" }]);
  expect(await profilesOf(owner)).toEqual([{ username: "mail-owner", email: "owner@example.com", display_name: "mail-owner" }]);
});

test("an unverified email is not checked, since it is not used", async () => {
  const sub = randomUUID();
  const response = await ask(await bed.issuer.token({ sub, username: "sloppy", email: "not an address", claims: { email_verified: false } }));
  expect(response.body.data).toEqual({ currentUser: { username: "sloppy" } });
});

test("a claim the database still refuses while syncing is 401 INVALID_CLAIMS naming it, not a 500", async () => {
  const pool = new pg.Pool({ connectionString: bed.db.config.database.authenticatorUrl, max: 1 });
  try {
    const sync = new UserSync(pool);
    const claims = { sub: "s".repeat(300), preferred_username: "long-sub", exp: 0 };
    const identity: Identity = { kind: "user", claims, keycloakRoles: [], postgresRole: bed.db.config.database.roles.user };
    const settings = pgSettingsFor(identity, {}, bed.db.config.database.roles);
    const refusal = await sync.ensure(identity, settings).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(refusal).toBeInstanceOf(CredentialRejected);
    expect(refusal).toMatchObject({ reason: "INVALID_CLAIMS", message: expect.stringContaining('"sub"') });
    expect((refusal as Error).message).not.toContain("s".repeat(300));
  } finally {
    await pool.end();
  }
});
