import { issueKey } from "../../src/ops/api-keys.js";
import { createTestDatabase, type TestDatabase } from "../helpers/database.js";
import { startNginx, type Nginx } from "../helpers/nginx.js";
import { personWithRoles, type Person } from "../helpers/people.js";
import { freePort } from "../helpers/ports.js";
import { startServerProcess, type ServerProcess } from "../helpers/server-process.js";
import { TestIssuer } from "../helpers/test-issuer.js";

/*
 * Two auth-db instances (separate processes, one database, two ports) behind
 * nginx, which adds X-Upstream: the instance that answered, or both in
 * order when it passed the request on.
 */
let issuer: TestIssuer;
let db: TestDatabase;
let instances: ServerProcess[] = [];
let ports: number[];
let nginx: Nginx;
let person: Person;
beforeAll(async () => {
  issuer = await TestIssuer.start();
  db = await createTestDatabase();
  ports = [await freePort(), await freePort()];
  const env = { ...db.env, KEYCLOAK_ISSUER: issuer.issuer, KEYCLOAK_AUDIENCE: "auth-db", WEB_CONCURRENCY: "1" };
  // One after the other: each migrates at start, under graphile-migrate's lock.
  for (const port of ports) instances.push(await startServerProcess({ ...env, PORT: String(port) }));
  nginx = await startNginx(ports);
  person = await personWithRoles(db, issuer, ["sys_auditor"]);
}, 120_000);
afterAll(async () => {
  await nginx?.stop();
  for (const instance of instances) await instance.stop();
  await issuer?.close();
  await db?.drop();
});

interface Answer {
  status: number;
  upstream: string;
  data: Record<string, unknown> | undefined;
}

/** One GraphQL query through nginx. */
async function viaNginx(query: string, headers: Record<string, string>): Promise<Answer> {
  const response = await fetch(`${nginx.url}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify({ query }),
  });
  const body = (await response.json()) as { data?: Record<string, unknown> };
  return { status: response.status, upstream: response.headers.get("x-upstream") ?? "", data: body.data };
}

/** `count` queries one after another; `between(i)` runs after the i-th answer. */
async function sequence(count: number, query: string, headers: Record<string, string>, between?: (i: number) => Promise<void>) {
  const answers: Answer[] = [];
  for (let i = 0; i < count; i++) {
    answers.push(await viaNginx(query, headers));
    await between?.(i);
  }
  return answers;
}

const instance = (index: number) => `127.0.0.1:${ports[index]}`;

test("one client with one Keycloak token is served by both instances in turn", async () => {
  const answers = await sequence(6, "{ currentUser { username } }", person.headers);
  expect(answers.map((answer) => [answer.status, answer.data])).toEqual(
    Array(6).fill([200, { currentUser: { username: person.username } }]),
  );
  const upstreams = answers.map((answer) => answer.upstream);
  expect(new Set(upstreams)).toEqual(new Set([instance(0), instance(1)]));
  upstreams.slice(1).forEach((upstream, i) => expect(upstream).not.toBe(upstreams[i]));
});

test("an API key is accepted by both instances", async () => {
  const { key } = await db.asOwner((client) =>
    issueKey(client, { name: "gateway", serviceName: "api-gateway", tier: "system", permissions: ["users:read"] }),
  );
  const answers = await sequence(4, '{ hasPermission(resource: "users", action: read) }', { "x-api-key": key });
  expect(answers.map((answer) => [answer.status, answer.data])).toEqual(Array(4).fill([200, { hasPermission: true }]));
  expect(new Set(answers.map((answer) => answer.upstream))).toEqual(new Set([instance(0), instance(1)]));
});

test("after one instance is killed (SIGKILL) no request is lost: nginx passes it to the other", async () => {
  const answers = await sequence(20, "{ currentUser { username } }", person.headers, async (i) => {
    if (i !== 5) return;
    instances[0]!.signal("SIGKILL");
    await instances[0]!.exited(10_000);
  });
  expect(answers.map((answer) => [answer.status, answer.data])).toEqual(
    Array(20).fill([200, { currentUser: { username: person.username } }]),
  );
  // The first request nginx sent to the dead instance went on to the live one.
  expect(answers.slice(6).map((answer) => answer.upstream)).toContain(`${instance(0)}, ${instance(1)}`);
});
