import { startKeycloakTestbed, type KeycloakTestbed } from "../helpers/keycloak-service.js";

/**
 * An attacker's view of /graphql: the same over-limit query sent in every
 * shape grafserv (or the express body parsers in front of it) might accept.
 * None may run; each answer is a 4xx naming what was wrong.
 */

let bed: KeycloakTestbed;
beforeAll(async () => {
  bed = await startKeycloakTestbed({ GRAPHQL_MAX_DEPTH: "6", GRAPHQL_MAX_COST: "5000" });
});
afterAll(async () => {
  await bed?.close();
});

const DEEP = "{ allUserRoles { nodes { userByUserId { userRolesByUserId { nodes { roleByRoleId { rolePermissionsByRoleId { nodes { roleId } } } } } } } } }";
const COSTLY = "{ allUsers(first: 1000) { nodes { userRolesByUserId(first: 100) { nodes { rowId } } } } }";
/** One more than the default GRAPHQL_MAX_ALIASES (30). */
const ALIASED = `{ ${Array.from({ length: 31 }, (_, i) => `a${i}: __typename`).join(" ")} }`;

interface Answer {
  status: number;
  code?: string;
  message?: string;
}

async function send(init: {
  method?: string;
  path?: string;
  contentType?: string;
  body?: string;
  accept?: string;
  headers?: Record<string, string>;
}): Promise<Answer> {
  const headers: Record<string, string> = { accept: init.accept ?? "application/json", ...init.headers };
  if (init.contentType !== undefined) headers["content-type"] = init.contentType;
  const response = await fetch(`${bed.url}${init.path ?? "/graphql"}`, { method: init.method ?? "POST", headers, body: init.body });
  const text = await response.text();
  let error: { message?: string; extensions?: { code?: string } } | undefined;
  try {
    error = (JSON.parse(text) as { errors?: Array<typeof error> }).errors?.[0];
  } catch {
    error = { message: text };
  }
  return { status: response.status, code: error?.extensions?.code, message: error?.message };
}

const refusedAsTooDeep = { status: 400, code: "QUERY_TOO_DEEP", message: expect.stringContaining("GRAPHQL_MAX_DEPTH") };

test("a deep query sent as application/graphql is refused with 400 QUERY_TOO_DEEP", async () => {
  expect(await send({ contentType: "application/graphql", body: DEEP })).toEqual(refusedAsTooDeep);
});

test.each([
  ["gzip", "application/json", JSON.stringify({ query: "{ __typename }" })],
  ["deflate", "application/json", JSON.stringify({ query: "{ __typename }" })],
  ["br", "application/json", JSON.stringify({ query: "{ __typename }" })],
  ["gzip", "application/graphql", "{ __typename }"],
])("a %s Content-Encoding on a %s body that is not compressed is refused with 400 MALFORMED_BODY naming it", async (encoding, contentType, body) => {
  expect(await send({ contentType, body, headers: { "content-encoding": encoding } })).toEqual({
    status: 400,
    code: "MALFORMED_BODY",
    message: `request body is not valid ${encoding} data (Content-Encoding)`,
  });
});

test("a deep query sent as application/graphql with a charset is refused with 400 QUERY_TOO_DEEP", async () => {
  expect(await send({ contentType: "application/graphql; charset=utf-8", body: DEEP })).toEqual(refusedAsTooDeep);
});

test("a costly query sent as application/graphql is refused with 400 QUERY_TOO_COSTLY", async () => {
  expect(await send({ contentType: "application/graphql", body: COSTLY })).toMatchObject({ status: 400, code: "QUERY_TOO_COSTLY" });
});

test("a query with too many aliases sent as application/graphql is refused with 400 TOO_MANY_ALIASES", async () => {
  expect(await send({ contentType: "application/graphql", body: ALIASED })).toMatchObject({ status: 400, code: "TOO_MANY_ALIASES" });
});

test("300 aliased mutations in one signed-in request are refused with 400 TOO_MANY_ALIASES before any of them runs", async () => {
  const events = () => bed.db.asOwner(async (client) => Number((await client.query("select count(*) from auth.security_events")).rows[0].count));
  const before = await events();
  const token = await bed.issuer.token({ sub: "alias-sender", username: "alias-sender" });
  const calls = Array.from({ length: 300 }, (_, i) => `v${i}: verifyApiKey(input: { key: "adb_bogus${i}" }) { result { valid } }`);
  const answer = await send({
    contentType: "application/json",
    body: JSON.stringify({ query: `mutation { ${calls.join(" ")} }` }),
    headers: { authorization: `Bearer ${token}` },
  });
  expect(answer).toMatchObject({ status: 400, code: "TOO_MANY_ALIASES" });
  expect(await events()).toBe(before);
});

test("an application/graphql body over MAX_REQUEST_BYTES is refused with 413 PAYLOAD_TOO_LARGE", async () => {
  const huge = `{ __typename } # ${"x".repeat(200_000)}`;
  expect(await send({ contentType: "application/graphql", body: huge })).toMatchObject({ status: 413, code: "PAYLOAD_TOO_LARGE" });
});

test("a deep query sent as JSON with a charset is refused with 400 QUERY_TOO_DEEP", async () => {
  expect(await send({ contentType: "application/json; charset=utf-8", body: JSON.stringify({ query: DEEP }) })).toEqual(refusedAsTooDeep);
});

test("a deep query sent as JSON in UTF-16 is refused with 400 QUERY_TOO_DEEP", async () => {
  const body = Buffer.from(`\ufeff${JSON.stringify({ query: DEEP })}`, "utf16le");
  const response = await fetch(`${bed.url}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json; charset=utf-16le", accept: "application/json" },
    body,
  });
  const error = ((await response.json()) as { errors: Array<{ extensions: { code: string } }> }).errors[0];
  expect({ status: response.status, code: error?.extensions.code }).toEqual({ status: 400, code: "QUERY_TOO_DEEP" });
});

test("a body in a charset that cannot be read is refused with 415 UNSUPPORTED_ENCODING", async () => {
  expect(await send({ contentType: "application/graphql; charset=klingon", body: DEEP })).toMatchObject({
    status: 415,
    code: "UNSUPPORTED_ENCODING",
    message: expect.stringMatching(/klingon/i),
  });
});

test("a deep query sent as JSON with a trailing semicolon in its Content-Type is refused with 400 QUERY_TOO_DEEP", async () => {
  expect(await send({ contentType: "application/json;", body: JSON.stringify({ query: DEEP }) })).toEqual(refusedAsTooDeep);
});

test("a deep query given an operation name is refused with 400 QUERY_TOO_DEEP", async () => {
  expect(await send({ contentType: "application/json", body: JSON.stringify({ query: `query Deep ${DEEP}`, operationName: "Deep" }) })).toEqual(refusedAsTooDeep);
});

test("a deep query hidden in a fragment is refused with 400 QUERY_TOO_DEEP", async () => {
  const query = "{ ...Hidden } fragment Hidden on Query " + DEEP;
  expect(await send({ contentType: "application/json", body: JSON.stringify({ query }) })).toEqual(refusedAsTooDeep);
});

test("a deeply nested introspection query is refused with 400 QUERY_TOO_DEEP", async () => {
  const query = "{ __schema { types { fields { type { fields { type { fields { type { fields { name } } } } } } } } } }";
  expect(await send({ contentType: "application/json", body: JSON.stringify({ query }) })).toEqual(refusedAsTooDeep);
});

test("a fragment spread into fragments thousands of times is refused with 400 QUERY_TOO_COSTLY", async () => {
  const levels = Array.from({ length: 8 }, (_, i) => `fragment F${i} on Query { ${`...F${i + 1} `.repeat(40)}}`).join(" ");
  const query = `{ ...F0 } ${levels} fragment F8 on Query { __typename }`;
  expect(await send({ contentType: "application/json", body: JSON.stringify({ query }) })).toMatchObject({
    status: 400,
    code: "QUERY_TOO_COSTLY",
    message: expect.stringContaining("once its fragments are expanded"),
  });
});

/** 1000 identical unaliased list fields: 3000 fields, within GRAPHQL_MAX_COST (5000) and GRAPHQL_MAX_ALIASES, but quadratic for GraphQL validation. */
const WIDE = `{ ${"allPermissions(first: 1) { nodes { resource } } ".repeat(1000)}}`;

test("a document of thousands of identical fields is refused with 400 TOO_MANY_FIELDS", async () => {
  expect(await send({ contentType: "application/json", body: JSON.stringify({ query: WIDE }) })).toEqual({
    status: 400,
    code: "TOO_MANY_FIELDS",
    message: "query has 3000 fields once its fragments are expanded, more than the limit of 500 (GRAPHQL_MAX_FIELDS)",
  });
});

test("a document of thousands of identical fields sent as application/graphql is refused with 400 TOO_MANY_FIELDS", async () => {
  expect(await send({ contentType: "application/graphql", body: WIDE })).toMatchObject({ status: 400, code: "TOO_MANY_FIELDS" });
});

test("too many fields are refused before GraphQL validation looks at the document", async () => {
  // Every field is unknown: had validation run first, the answer would be its "Cannot query field" error.
  const query = `{ ${"noSuchField ".repeat(501)}}`;
  expect(await send({ contentType: "application/json", body: JSON.stringify({ query }) })).toMatchObject({ status: 400, code: "TOO_MANY_FIELDS" });
});

test("a document of GRAPHQL_MAX_FIELDS fields runs", async () => {
  expect(await send({ contentType: "application/json", body: JSON.stringify({ query: `{ ${"__typename ".repeat(500)}}` }) })).toMatchObject({ status: 200 });
});

test("a deep query as a GET query string is not run (405, GraphQL over GET is off)", async () => {
  expect(await send({ method: "GET", path: `/graphql?query=${encodeURIComponent(DEEP)}` })).toMatchObject({ status: 405 });
});

test("a deep query as a form post is refused with 415", async () => {
  const answer = await send({ contentType: "application/x-www-form-urlencoded", body: `query=${encodeURIComponent(DEEP)}` });
  expect(answer).toMatchObject({ status: 415, message: expect.stringContaining("application/x-www-form-urlencoded") });
});

test("a deep query as multipart form data is refused with 415", async () => {
  const form = new FormData();
  form.set("query", DEEP);
  const response = await fetch(`${bed.url}/graphql`, { method: "POST", headers: { accept: "application/json" }, body: form });
  expect(response.status).toBe(415);
});

test("a deep query in a JSON body labelled text/plain is refused with 415", async () => {
  expect(await send({ contentType: "text/plain", body: JSON.stringify({ query: DEEP }) })).toMatchObject({ status: 415 });
});

test("a deep query in a JSON body with an upper-case Content-Type is refused with 415", async () => {
  // grafserv compares media types case-sensitively; the body is never run.
  expect(await send({ contentType: "APPLICATION/JSON", body: JSON.stringify({ query: DEEP }) })).toMatchObject({ status: 415 });
});

test("a deep query without a Content-Type is refused with 400", async () => {
  // A byte body, unlike a string, makes fetch send no Content-Type.
  const response = await fetch(`${bed.url}/graphql`, { method: "POST", headers: { accept: "application/json" }, body: Buffer.from(JSON.stringify({ query: DEEP })) });
  expect(response.status).toBe(400);
});

test("a batch (a JSON array of operations) is refused with 400", async () => {
  expect(await send({ contentType: "application/json", body: JSON.stringify([{ query: DEEP }, { query: DEEP }]) })).toMatchObject({
    status: 400,
    message: expect.stringContaining("expected object"),
  });
});

test("a persisted-query id without a query text is refused with 400", async () => {
  const body = JSON.stringify({ documentId: "abc", extensions: { persistedQuery: { version: 1, sha256Hash: "0".repeat(64) } } });
  expect(await send({ contentType: "application/json", body })).toMatchObject({ status: 400, message: expect.stringContaining("query must be a string") });
});

test("a query within the limits runs, whatever the content type", async () => {
  const json = await send({ contentType: "application/json; charset=utf-8", body: JSON.stringify({ query: "{ a: __typename }" }) });
  const plain = await send({ contentType: "application/graphql", body: "{ a: __typename }" });
  expect([json.status, plain.status]).toEqual([200, 200]);
});
