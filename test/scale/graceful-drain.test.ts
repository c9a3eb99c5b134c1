import http from "node:http";
import { createTestDatabase, type TestDatabase } from "../helpers/database.js";
import { freePort, portAccepts } from "../helpers/ports.js";
import { startServerProcess, type ServerProcess } from "../helpers/server-process.js";

const QUERY = JSON.stringify({ query: '{ hasPermission(resource: "users", action: read) }' });

interface Outcome {
  /** When the server answered 100 Continue, i.e. accepted the request; undefined if it never did. */
  acceptedAt?: number;
  status?: number;
  body?: string;
  error?: string;
}

/**
 * POSTs a GraphQL query with `Expect: 100-continue`: the server's 100 Continue
 * proves that it accepted the request, and the body follows it, at once or
 * when `release` resolves. `accepted` resolves at the 100 Continue.
 */
function post(url: string, agent: http.Agent, release?: Promise<void>): { accepted: Promise<void>; done: Promise<Outcome> } {
  const outcome: Outcome = {};
  let onAccepted!: () => void;
  const accepted = new Promise<void>((resolve) => (onAccepted = resolve));
  const done = new Promise<Outcome>((resolve) => {
    const request = http.request(`${url}/graphql`, {
      method: "POST",
      agent,
      headers: { "content-type": "application/json", "content-length": Buffer.byteLength(QUERY), expect: "100-continue" },
    });
    request.on("continue", () => {
      outcome.acceptedAt = performance.now();
      onAccepted();
      void (release ?? Promise.resolve()).then(() => request.end(QUERY));
    });
    request.on("response", (response) => {
      let body = "";
      response.on("data", (chunk: Buffer) => (body += chunk.toString()));
      response.on("end", () => resolve({ ...outcome, status: response.statusCode, body }));
      response.on("error", (error) => resolve({ ...outcome, error: error.message }));
    });
    request.on("error", (error) => resolve({ ...outcome, error: error.message }));
    request.flushHeaders();
  });
  return { accepted, done };
}

/** Resolves once nothing accepts connections on `url`'s port any more (bounded: 10 s). */
async function stopsListening(url: string): Promise<void> {
  const port = Number(new URL(url).port);
  for (let attempt = 0; attempt < 200; attempt++) {
    if (!(await portAccepts(port))) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`${url} still accepts connections 10 s after SIGTERM`);
}

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db?.drop();
});

test.each([1, 2])(
  "SIGTERM with WEB_CONCURRENCY=%i finishes every accepted request with 200 and exits 0",
  async (processes) => {
    let server: ServerProcess | undefined;
    const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
    try {
      server = await startServerProcess({ ...db.env, PORT: String(await freePort()), WEB_CONCURRENCY: String(processes) });
      const { url } = server;

      // A steady stream: 4 clients on keep-alive connections, each sending
      // one request after another until one fails, at most 150 each.
      const outcomes: Outcome[] = [];
      const client = async () => {
        for (let sent = 0; sent < 150; sent++) {
          const outcome = await post(url, agent).done;
          outcomes.push(outcome);
          if (outcome.status === undefined) return;
        }
      };
      const clients = Array.from({ length: 4 }, client);
      for (let wait = 0; wait < 200 && outcomes.length < 20; wait++) await new Promise((resolve) => setTimeout(resolve, 25));

      // One request the server has accepted, whose body arrives only after
      // the server stopped listening: it is certainly in flight throughout.
      let sendBody!: () => void;
      const held = post(url, new http.Agent(), new Promise<void>((resolve) => (sendBody = resolve)));
      await held.accepted;

      const signalledAt = performance.now();
      server.signal("SIGTERM");
      await stopsListening(url);
      sendBody();
      const heldOutcome = await held.done;
      await Promise.all(clients);
      const exit = await server.exited(15_000);
      const secondsToExit = (performance.now() - signalledAt) / 1000;

      expect(heldOutcome).toMatchObject({ status: 200, body: JSON.stringify({ data: { hasPermission: false } }) });
      const accepted = outcomes.filter((outcome) => outcome.acceptedAt !== undefined);
      expect(accepted.filter((outcome) => outcome.acceptedAt! < signalledAt).length).toBeGreaterThanOrEqual(20);
      expect(accepted.filter((outcome) => outcome.status !== 200)).toEqual([]);
      expect(exit).toEqual({ code: 0, signal: null });
      // Keep-alive clients must not hold the drain open until their connections time out.
      expect(secondsToExit).toBeLessThan(5);
    } finally {
      agent.destroy();
      await server?.stop();
    }
  },
  90_000,
);
