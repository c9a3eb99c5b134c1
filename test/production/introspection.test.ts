import { getIntrospectionQuery } from "postgraphile/graphql";
import { createKey } from "../helpers/api-keys.js";
import { graphql } from "../helpers/http.js";
import { startKeycloakTestbed, type KeycloakTestbed } from "../helpers/keycloak-service.js";
import { personWithRoles, type Person } from "../helpers/people.js";
import { startTestService, type TestService } from "../helpers/service.js";
import { testConfig } from "../helpers/database.js";

/** Who may read the schema through introspection, in production and with GRAPHQL_INTROSPECTION. */

let bed: KeycloakTestbed;
let admin: Person;
const others: TestService[] = [];

beforeAll(async () => {
  bed = await startKeycloakTestbed({ NODE_ENV: "production" });
  admin = await personWithRoles(bed.db, bed.issuer, ["sys_admin"]);
});
afterAll(async () => {
  for (const service of others) await service.stop();
  await bed?.close();
});

/** One more auth-db on the same database and issuer, with `env` on top. */
async function serviceWith(env: Record<string, string>): Promise<TestService> {
  const config = testConfig({ env: { KEYCLOAK_ISSUER: bed.issuer.issuer, KEYCLOAK_AUDIENCE: "auth-db", NODE_ENV: "production", ...env } });
  const service = await startTestService({ ...config, database: bed.db.config.database });
  others.push(service);
  return service;
}

const SCHEMA = "{ __schema { queryType { name } } }";

function outcome(response: { status: number; body: { errors?: Array<{ message: string; extensions?: Record<string, unknown> }> } }) {
  return { status: response.status, code: response.body.errors?.[0]?.extensions?.code };
}

test("anonymous introspection is refused in production with 403 INTROSPECTION_NOT_ALLOWED", async () => {
  const response = await graphql(bed.url, SCHEMA);
  expect(outcome(response)).toEqual({ status: 403, code: "INTROSPECTION_NOT_ALLOWED" });
  expect(response.body.errors?.[0]?.message).toContain("GRAPHQL_INTROSPECTION");
});

test("anonymous __type lookups are refused in production", async () => {
  expect(outcome(await graphql(bed.url, '{ __type(name: "User") { name } }'))).toEqual({ status: 403, code: "INTROSPECTION_NOT_ALLOWED" });
});

test("anonymous introspection hidden in a fragment is refused in production", async () => {
  const query = "{ ...Schema } fragment Schema on Query { s: __schema { queryType { name } } }";
  expect(outcome(await graphql(bed.url, query))).toEqual({ status: 403, code: "INTROSPECTION_NOT_ALLOWED" });
});

test("anonymous introspection sent as application/graphql is refused in production", async () => {
  const response = await fetch(`${bed.url}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/graphql", accept: "application/json" },
    body: SCHEMA,
  });
  expect(response.status).toBe(403);
});

test("anonymous callers may still ask for __typename in production", async () => {
  expect(outcome(await graphql(bed.url, "{ __typename }"))).toEqual({ status: 200, code: undefined });
});

test("a signed-in user may introspect in production", async () => {
  const response = await graphql(bed.url, getIntrospectionQuery(), {}, admin.headers);
  expect(outcome(response)).toEqual({ status: 200, code: undefined });
});

test("a service with an API key may introspect in production", async () => {
  const key = await createKey(bed.url, admin.headers);
  expect(outcome(await graphql(bed.url, SCHEMA, {}, { "x-api-key": key.key }))).toEqual({ status: 200, code: undefined });
});

test("GRAPHQL_INTROSPECTION=everyone opens introspection to anonymous callers in production", async () => {
  const open = await serviceWith({ GRAPHQL_INTROSPECTION: "everyone" });
  expect(outcome(await graphql(open.url, SCHEMA))).toEqual({ status: 200, code: undefined });
});

test("GRAPHQL_INTROSPECTION=off refuses introspection to signed-in users too", async () => {
  const closed = await serviceWith({ GRAPHQL_INTROSPECTION: "off" });
  expect(outcome(await graphql(closed.url, SCHEMA, {}, admin.headers))).toEqual({ status: 403, code: "INTROSPECTION_NOT_ALLOWED" });
});

test("outside production anonymous callers may introspect", async () => {
  const development = await serviceWith({ NODE_ENV: "test" });
  expect(outcome(await graphql(development.url, SCHEMA))).toEqual({ status: 200, code: undefined });
});

/** The messages of a response's errors. */
function messages(response: { body: { errors?: Array<{ message: string }> } }): string[] {
  return (response.body.errors ?? []).map((error) => error.message);
}

test("an anonymous caller's misspelt field is refused in production without suggesting the schema's field names", async () => {
  const response = await graphql(bed.url, "{ allUser { nodes { id } } }");
  expect(messages(response)).toEqual(['Cannot query field "allUser" on type "Query".']);
});

test("an anonymous caller's misspelt argument is refused in production without suggesting the field's arguments", async () => {
  const response = await graphql(bed.url, "{ allUsers(frist: 1) { totalCount } }");
  expect(messages(response)).toEqual(['Unknown argument "frist" on field "Query.allUsers".']);
});

test("an anonymous caller's misspelt enum value is refused in production without suggesting the enum's values", async () => {
  const response = await graphql(bed.url, "query ($o: [UsersOrderBy!]) { allUsers(orderBy: $o) { totalCount } }", { o: ["USERNAME_AS"] });
  expect(messages(response).join(" ")).not.toMatch(/Did you mean|USERNAME_ASC/);
});

test("a signed-in user who may introspect still gets suggestions for a misspelt field", async () => {
  const response = await graphql(bed.url, "{ allUser { nodes { id } } }", {}, admin.headers);
  expect(messages(response).join(" ")).toContain("Did you mean");
});

test("GRAPHQL_INTROSPECTION=off leaves suggestions out for signed-in users too", async () => {
  const closed = await serviceWith({ GRAPHQL_INTROSPECTION: "off" });
  const response = await graphql(closed.url, "{ allUser { nodes { id } } }", {}, admin.headers);
  expect(messages(response)).toEqual(['Cannot query field "allUser" on type "Query".']);
});
