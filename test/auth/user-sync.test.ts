import { randomUUID } from "node:crypto";
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
