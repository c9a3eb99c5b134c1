import { graphql } from "../helpers/http.js";
import { startKeycloakTestbed, type KeycloakTestbed } from "../helpers/keycloak-service.js";
import { TestIssuer } from "../helpers/test-issuer.js";

let bed: KeycloakTestbed;
beforeAll(async () => {
  bed = await startKeycloakTestbed({ KEYCLOAK_JWKS_COOLDOWN_MS: "0" });
});
afterAll(async () => {
  await bed?.close();
});

test("with the issuer gone, tokens signed by a cached key still work and only unknown keys get 503", async () => {
  const WHO = "{ currentUser { username } }";
  const sub = "6b1f3f0e-0000-4000-8000-00000000cafe";
  const before = await graphql(bed.url, WHO, {}, { authorization: `Bearer ${await bed.issuer.token({ sub, username: "cached" })}` });
  expect(before.status).toBe(200);

  const stillSigned = await bed.issuer.token({ sub, username: "cached" });
  const unknownKey = await bed.issuer.token({ key: await TestIssuer.unpublishedKey() });
  await bed.issuer.close();

  const cached = await graphql(bed.url, WHO, {}, { authorization: `Bearer ${stillSigned}` });
  expect({ status: cached.status, body: cached.body }).toEqual({ status: 200, body: { data: { currentUser: { username: "cached" } } } });
  const uncached = await graphql(bed.url, WHO, {}, { authorization: `Bearer ${unknownKey}` });
  expect({ status: uncached.status, code: uncached.body.errors?.[0]?.extensions?.code }).toEqual({ status: 503, code: "ISSUER_UNAVAILABLE" });
});
