import { graphql } from "../helpers/http.js";
import { startKeycloakTestbed, type KeycloakTestbed } from "../helpers/keycloak-service.js";

let bed: KeycloakTestbed;
beforeAll(async () => {
  bed = await startKeycloakTestbed({
    MAX_REQUEST_BYTES: "2048",
    GRAPHQL_MAX_DEPTH: "6",
    GRAPHQL_MAX_COST: "5000",
    AUTH_FAILURES_PER_MINUTE: "5",
    CORS_ORIGINS: "https://app.example.com",
  });
});
afterAll(async () => {
  await bed?.close();
});

async function post(body: string, headers: Record<string, string> = {}) {
  const response = await fetch(`${bed.url}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/json", ...headers },
    body,
  });
  return { status: response.status, headers: response.headers, body: (await response.json()) as { errors?: Array<{ message: string; extensions: { code: string } }> } };
}

test("a body over MAX_REQUEST_BYTES is refused with 413 PAYLOAD_TOO_LARGE", async () => {
  const response = await post(JSON.stringify({ query: `{ __typename } # ${"x".repeat(3000)}` }));
  expect({ status: response.status, code: response.body.errors?.[0]?.extensions.code }).toEqual({ status: 413, code: "PAYLOAD_TOO_LARGE" });
});

test("a body that is not JSON is refused with 400 MALFORMED_BODY", async () => {
  const response = await post("{ not json");
  expect({ status: response.status, code: response.body.errors?.[0]?.extensions.code }).toEqual({ status: 400, code: "MALFORMED_BODY" });
});

test("a query deeper than GRAPHQL_MAX_DEPTH is refused with 400 QUERY_TOO_DEEP", async () => {
  const deep = "{ allUserRoles { nodes { userByUserId { userRolesByUserId { nodes { roleByRoleId { rolePermissionsByRoleId { nodes { rowId } } } } } } } } }";
  const response = await post(JSON.stringify({ query: deep }));
  expect({ status: response.status, code: response.body.errors?.[0]?.extensions.code }).toEqual({ status: 400, code: "QUERY_TOO_DEEP" });
});

test("a query costlier than GRAPHQL_MAX_COST is refused with 400 QUERY_TOO_COSTLY, naming the cost", async () => {
  const costly = "{ allUsers(first: 1000) { nodes { userRolesByUserId(first: 100) { nodes { rowId } } } } }";
  const response = await post(JSON.stringify({ query: costly }));
  expect(response.status).toBe(400);
  expect(response.body.errors?.[0]).toMatchObject({
    message: expect.stringMatching(/^query cost \d+ exceeds the limit of 5000/),
    extensions: { code: "QUERY_TOO_COSTLY" },
  });
});

test("list sizes given as variables count in the cost", async () => {
  const query = "query ($n: Int) { allUsers(first: $n) { nodes { userRolesByUserId(first: 100) { nodes { rowId } } } } }";
  expect((await post(JSON.stringify({ query, variables: { n: 2 } }))).status).toBe(200);
  expect((await post(JSON.stringify({ query, variables: { n: 1000 } }))).status).toBe(400);
});

test("a costly query is refused each time it is sent, not only the first", async () => {
  const costly = JSON.stringify({ query: "query Twice { allUsers(first: 1000) { nodes { userRolesByUserId(first: 100) { nodes { rowId } } } } }" });
  const codes = [(await post(costly)).body.errors?.[0]?.extensions.code, (await post(costly)).body.errors?.[0]?.extensions.code];
  expect(codes).toEqual(["QUERY_TOO_COSTLY", "QUERY_TOO_COSTLY"]);
});

test("a costly query is refused whatever its other variables say", async () => {
  const query =
    "query ($sub: String!) { allUsers(first: 1000, condition: { sub: $sub }) { nodes { userRolesByUserId(first: 100) { nodes { rowId } } } } }";
  const codes = [
    (await post(JSON.stringify({ query, variables: { sub: "a" } }))).body.errors?.[0]?.extensions.code,
    (await post(JSON.stringify({ query, variables: { sub: "b" } }))).body.errors?.[0]?.extensions.code,
  ];
  expect(codes).toEqual(["QUERY_TOO_COSTLY", "QUERY_TOO_COSTLY"]);
});

test("a costly part skipped by a variable does not count, and counts again when included", async () => {
  const query = "query ($skip: Boolean!) { allUsers(first: 1000) @skip(if: $skip) { nodes { userRolesByUserId(first: 100) { nodes { rowId } } } } }";
  expect((await post(JSON.stringify({ query, variables: { skip: true } }))).status).toBe(200);
  expect((await post(JSON.stringify({ query, variables: { skip: false } }))).body.errors?.[0]?.extensions.code).toBe("QUERY_TOO_COSTLY");
});

test("a query with more aliased fields than GRAPHQL_MAX_ALIASES is refused with 400 TOO_MANY_ALIASES", async () => {
  const query = `{ ${Array.from({ length: 31 }, (_, i) => `a${i}: __typename`).join(" ")} }`;
  const response = await post(JSON.stringify({ query }));
  expect(response.status).toBe(400);
  expect(response.body.errors?.[0]).toMatchObject({
    message: "query has 31 aliased fields, more than the limit of 30 (GRAPHQL_MAX_ALIASES)",
    extensions: { code: "TOO_MANY_ALIASES" },
  });
});

test("a query with GRAPHQL_MAX_ALIASES aliased fields runs", async () => {
  const query = `{ ${Array.from({ length: 30 }, (_, i) => `a${i}: __typename`).join(" ")} }`;
  expect((await post(JSON.stringify({ query }))).status).toBe(200);
});

test("aliases inside a fragment count each time the fragment is used", async () => {
  const fields = Array.from({ length: 10 }, (_, i) => `a${i}: __typename`).join(" ");
  const query = `{ ...Ten first: query { ...Ten } second: query { ...Ten } } fragment Ten on Query { ${fields} }`;
  const response = await post(JSON.stringify({ query }));
  expect({ status: response.status, code: response.body.errors?.[0]?.extensions.code }).toEqual({ status: 400, code: "TOO_MANY_ALIASES" });
});

test("an allowed origin gets CORS headers", async () => {
  const response = await post(JSON.stringify({ query: "{ __typename }" }), { origin: "https://app.example.com" });
  expect(response.status).toBe(200);
  expect(response.headers.get("access-control-allow-origin")).toBe("https://app.example.com");
});

test("another origin is refused with 403 ORIGIN_NOT_ALLOWED", async () => {
  const response = await post(JSON.stringify({ query: "{ __typename }" }), { origin: "https://evil.example" });
  expect({ status: response.status, code: response.body.errors?.[0]?.extensions.code }).toEqual({ status: 403, code: "ORIGIN_NOT_ALLOWED" });
});

test("many concurrent valid requests are never mistaken for failed authentications", async () => {
  const token = await bed.issuer.token();
  const statuses = await Promise.all(
    Array.from({ length: 40 }, async () => (await graphql(bed.url, "{ __typename }", {}, { authorization: `Bearer ${token}` })).status),
  );
  expect(statuses.filter((status) => status !== 200)).toEqual([]);
});

test("repeated failed authentications from one ip are refused with 429 until the window passes", async () => {
  const statuses: number[] = [];
  for (let i = 0; i < 7; i++) {
    statuses.push((await graphql(bed.url, "{ __typename }", {}, { authorization: "Bearer not-a-token" })).status);
  }
  expect(statuses).toEqual([401, 401, 401, 401, 401, 429, 429]);
  const refused = await graphql(bed.url, "{ __typename }", {}, { authorization: `Bearer ${await bed.issuer.token()}` });
  expect({ status: refused.status, code: refused.body.errors?.[0]?.extensions?.code }).toEqual({ status: 429, code: "TOO_MANY_FAILED_AUTHENTICATIONS" });
});
