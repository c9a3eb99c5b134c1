import { spawn, type ChildProcess } from "node:child_process";
import { createRequire } from "node:module";
import net from "node:net";
import { getIntrospectionQuery } from "postgraphile/graphql";
import { createKey } from "../helpers/api-keys.js";
import { runCommand } from "../helpers/cli.js";
import { graphql } from "../helpers/http.js";
import { startKeycloakTestbed, type KeycloakTestbed } from "../helpers/keycloak-service.js";
import { personWithRoles } from "../helpers/people.js";
import { freePort } from "../helpers/ports.js";

let bed: KeycloakTestbed;
beforeAll(async () => {
  bed = await startKeycloakTestbed();
});
afterAll(async () => {
  await bed?.close();
});

async function metricValue(name: string, labels: string): Promise<number> {
  const text = await (await fetch(`${bed.url}/metrics`)).text();
  const line = text.split("\n").find((row) => row.startsWith(`${name}{`) && row.includes(labels));
  return line ? Number(line.split(" ").pop()) : 0;
}

test("metrics count GraphQL operations by name and outcome", async () => {
  const before = await metricValue("authdb_graphql_requests_total", 'operation="WhoAmI",outcome="ok"');
  await graphql(bed.url, "query WhoAmI { currentUser { username } }");
  expect(await metricValue("authdb_graphql_requests_total", 'operation="WhoAmI",outcome="ok"')).toBe(before + 1);
});

test("metrics count rejected credentials by reason", async () => {
  const before = await metricValue("authdb_credential_rejections_total", 'reason="MALFORMED"');
  await graphql(bed.url, "{ __typename }", {}, { authorization: "Bearer nope" });
  expect(await metricValue("authdb_credential_rejections_total", 'reason="MALFORMED"')).toBe(before + 1);
});

test("metrics show the database pool", async () => {
  expect(await metricValue("authdb_db_pool_connections", 'state="total"')).toBeGreaterThan(0);
});

test("GraphiQL's introspection query passes the default depth and cost limits", async () => {
  const { status, body } = await graphql(bed.url, getIntrospectionQuery());
  expect(status).toBe(200);
  expect(body.errors).toBeUndefined();
});

test("a request id is taken from X-Request-Id or made up, and echoed back", async () => {
  const given = await fetch(`${bed.url}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-request-id": "req-42" },
    body: JSON.stringify({ query: "{ __typename }" }),
  });
  expect(given.headers.get("x-request-id")).toBe("req-42");
  const made = await fetch(`${bed.url}/graphql`, { method: "POST", headers: { "content-type": "application/json" }, body: '{"query":"{ __typename }"}' });
  expect(made.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
});

/** Runs the server in a process of its own at `logLevel`, lets `work` send requests to it, and returns everything it printed. */
async function serverOutput(logLevel: string, work: (url: string) => Promise<unknown>, env: Record<string, string> = {}): Promise<string> {
  const port = await freePort();
  const tsx = createRequire(import.meta.url).resolve("tsx");
  const server: ChildProcess = spawn(process.execPath, ["--import", tsx, "src/cli/start.ts"], {
    env: {
      ...process.env,
      ...bed.db.env,
      PORT: String(port),
      LOG_LEVEL: logLevel,
      LOG_FORMAT: "json",
      KEYCLOAK_ISSUER: bed.issuer.issuer,
      KEYCLOAK_AUDIENCE: "auth-db",
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  server.stdout!.on("data", (chunk) => (output += chunk));
  server.stderr!.on("data", (chunk) => (output += chunk));
  try {
    for (let tries = 0; tries < 100 && !output.includes("listening"); tries++) await new Promise((r) => setTimeout(r, 100));
    await work(`http://127.0.0.1:${port}`);
    await new Promise((resolve) => setTimeout(resolve, 300));
    return output;
  } finally {
    server.kill("SIGTERM");
    await new Promise((resolve) => server.once("exit", resolve));
  }
}

test("the server's logs carry request facts but no token, API key or variables", async () => {
  const admin = await personWithRoles(bed.db, bed.issuer, ["sys_admin"]);
  const { key } = await createKey(bed.url, admin.headers, { tier: "system", permissions: ["users:read"] });
  const secretVariable = "s3cr3t-variable-value";
  const output = await serverOutput("debug", async (url) => {
    await graphql(url, "query ($v: String!) { hasPermission(resource: $v, action: read) }", { v: secretVariable }, admin.headers);
    await graphql(url, "{ allUsers { totalCount } }", {}, { "x-api-key": key });
    await graphql(url, "{ allUsers { totalCount } }", {}, { "x-api-key": `${key}x` });
    await graphql(url, "{ __typename }", {}, { authorization: `Bearer ${admin.token}x` });
  });
  expect(output).toMatch(/"msg":"request completed"/);
  expect(output).toMatch(/"caller":"service"/);
  for (const secret of [admin.token, admin.token.split(".")[2]!, key, key.slice(10), secretVariable]) {
    expect(output).not.toContain(secret);
  }
});

test("at LOG_LEVEL=warn only refused requests are logged, each with its status, path and duration", async () => {
  const output = await serverOutput("warn", async (url) => {
    await graphql(url, "{ __typename }", {}, { "x-request-id": "fine-1" });
    await fetch(`${url}/graphql?token=abc`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: "Bearer not-a-token", "x-request-id": "refused-1" },
      body: JSON.stringify({ query: "{ __typename }" }),
    });
  });
  const lines = output.split("\n").filter((line) => line.includes('"msg":"request completed"')).map((line) => JSON.parse(line));
  expect(lines).toEqual([
    expect.objectContaining({
      level: 40,
      req: { id: "refused-1", method: "POST", path: "/graphql" },
      res: { statusCode: 401 },
      responseTime: expect.any(Number),
      caller: "rejected",
    }),
  ]);
});

/** The server's JSON log lines with message `msg`. */
function logLines(output: string, msg: string): Array<Record<string, unknown>> {
  return output.split("\n").filter((line) => line.includes(`"msg":"${msg}"`)).map((line) => JSON.parse(line));
}

test("a body that does not decompress is logged as a 400 at warn, without an error or a stack", async () => {
  const output = await serverOutput("warn", async (url) => {
    await fetch(`${url}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json", "content-encoding": "gzip", "x-request-id": "not-gzip" },
      body: JSON.stringify({ query: "{ __typename }" }),
    });
  });
  expect(logLines(output, "request completed")).toEqual([
    expect.objectContaining({ level: 40, req: expect.objectContaining({ id: "not-gzip" }), res: { statusCode: 400 } }),
  ]);
  expect(output).not.toMatch(/"level":50|"stack"/);
});

test("a client cut off at HTTP_REQUEST_TIMEOUT_MS is logged as a 408 at warn, without an error or a stack", async () => {
  const output = await serverOutput(
    "warn",
    (url) =>
      new Promise<void>((resolve, reject) => {
        const socket = net.connect(Number(new URL(url).port), "127.0.0.1");
        socket.on("error", (error: NodeJS.ErrnoException) => (error.code === "ECONNRESET" ? undefined : reject(error)));
        socket.on("close", () => resolve());
        socket.on("connect", () => {
          socket.write("POST /graphql HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 1000\r\nX-Request-Id: cut-off\r\n\r\n{");
        });
        socket.resume();
      }),
    { HTTP_HEADERS_TIMEOUT_MS: "500", HTTP_REQUEST_TIMEOUT_MS: "1000" },
  );
  expect(logLines(output, "request aborted")).toEqual([
    expect.objectContaining({ level: 40, req: expect.objectContaining({ id: "cut-off" }), res: { statusCode: 408 } }),
  ]);
  expect(output).not.toMatch(/"level":50|"stack"/);
}, 20_000);

test("a misconfigured start fails naming every wrong variable", async () => {
  const result = await runCommand("start", [], {
    ...bed.db.env,
    PORT: "http",
    GRAPHQL_MAX_DEPTH: "0",
    CORS_ORIGINS: "app.example.com",
    LOG_LEVEL: "loud",
  });
  expect(result.code).toBe(1);
  expect(result.stderr).toContain("PORT: expected a port number");
  expect(result.stderr).toContain("GRAPHQL_MAX_DEPTH: expected 2 to 100 levels");
  expect(result.stderr).toContain("CORS_ORIGINS: expected * or origins like https://app.example.com");
  expect(result.stderr).toContain("LOG_LEVEL: expected fatal, error, warn, info, debug, trace or silent");
});
