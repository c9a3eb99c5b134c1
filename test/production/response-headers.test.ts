import { testConfig } from "../helpers/database.js";
import { graphql } from "../helpers/http.js";
import { startKeycloakTestbed, type KeycloakTestbed } from "../helpers/keycloak-service.js";
import { personWithRoles } from "../helpers/people.js";
import { startTestService, type TestService } from "../helpers/service.js";

/** Headers every response carries, whatever answered it. */

let bed: KeycloakTestbed;
let withHsts: TestService;
beforeAll(async () => {
  bed = await startKeycloakTestbed({ GRAPHQL_MAX_DEPTH: "6" });
  const config = testConfig({ env: { KEYCLOAK_ISSUER: bed.issuer.issuer, KEYCLOAK_AUDIENCE: "auth-db", HSTS_MAX_AGE: "31536000" } });
  withHsts = await startTestService({ ...config, database: bed.db.config.database });
});
afterAll(async () => {
  await withHsts?.stop();
  await bed?.close();
});

const DEEP = "{ allUserRoles { nodes { userByUserId { userRolesByUserId { nodes { roleByRoleId { rolePermissionsByRoleId { nodes { roleId } } } } } } } } }";

/** One response of each kind the server gives: GraphQL success, refusals by express and by grafserv, /health and a 404. */
async function responses(url: string): Promise<Array<{ what: string; headers: Headers }>> {
  const post = (body: string, contentType = "application/json") =>
    fetch(`${url}/graphql`, { method: "POST", headers: { "content-type": contentType, accept: "application/json" }, body });
  const all = {
    "graphql ok": await post(JSON.stringify({ query: "{ __typename }" })),
    "graphql malformed body": await post("{ not json"),
    "graphql too deep": await post(DEEP, "application/graphql"),
    "graphql unauthenticated": await fetch(`${url}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: "Bearer nope" },
      body: JSON.stringify({ query: "{ __typename }" }),
    }),
    "graphql unsupported media type": await post("query=x", "application/x-www-form-urlencoded"),
    health: await fetch(`${url}/health`),
    "not found": await fetch(`${url}/nowhere`),
  };
  return Promise.all(
    Object.entries(all).map(async ([what, response]) => {
      await response.arrayBuffer();
      return { what, headers: response.headers };
    }),
  );
}

test("every response says X-Content-Type-Options: nosniff", async () => {
  const answers = await responses(bed.url);
  expect(answers.map(({ what, headers }) => [what, headers.get("x-content-type-options")])).toEqual(answers.map(({ what }) => [what, "nosniff"]));
});

test("every /graphql response says Cache-Control: no-store", async () => {
  const answers = (await responses(bed.url)).filter(({ what }) => what.startsWith("graphql"));
  expect(answers.map(({ what, headers }) => [what, headers.get("cache-control")])).toEqual(answers.map(({ what }) => [what, "no-store"]));
});

test("the response that carries a new API key's secret says Cache-Control: no-store", async () => {
  const admin = await personWithRoles(bed.db, bed.issuer, ["sys_admin"]);
  const response = await graphql(
    bed.url,
    "mutation ($tier: Tier) { createApiKey(input: { name: \"cache test\", serviceName: \"billing\", tier: $tier, permissions: [] }) { result { key } } }",
    { tier: "service" },
    admin.headers,
  );
  expect(response.body.errors).toBeUndefined();
  expect(response.headers.get("cache-control")).toBe("no-store");
});

test("no Strict-Transport-Security is sent unless HSTS_MAX_AGE is set", async () => {
  const answers = await responses(bed.url);
  expect(answers.filter(({ headers }) => headers.has("strict-transport-security")).map(({ what }) => what)).toEqual([]);
});

test("with HSTS_MAX_AGE every response says Strict-Transport-Security with that max-age", async () => {
  const answers = await responses(withHsts.url);
  expect(answers.map(({ what, headers }) => [what, headers.get("strict-transport-security")])).toEqual(
    answers.map(({ what }) => [what, "max-age=31536000"]),
  );
});
