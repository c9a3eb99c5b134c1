import net from "node:net";
import { startKeycloakTestbed, type KeycloakTestbed } from "../helpers/keycloak-service.js";

/** Slowloris-style clients: a request that trickles in is cut off at the configured timeouts. */

let bed: KeycloakTestbed;
beforeAll(async () => {
  bed = await startKeycloakTestbed({ HTTP_HEADERS_TIMEOUT_MS: "500", HTTP_REQUEST_TIMEOUT_MS: "1000" });
});
afterAll(async () => {
  await bed?.close();
});

interface Ending {
  /** Everything the server sent before it closed the connection. */
  received: string;
}

/**
 * Opens a connection, sends `head`, then one more `drip` every 100 ms for as
 * long as the server keeps the connection open, and resolves with what the
 * server said once it has closed it.
 */
function dribble(head: string, drip: string): Promise<Ending> {
  const { port } = new URL(bed.url);
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(port), "127.0.0.1");
    let received = "";
    let timer: NodeJS.Timeout | undefined;
    socket.setEncoding("utf8");
    socket.on("data", (chunk: string) => (received += chunk));
    socket.on("error", (error: NodeJS.ErrnoException) => {
      // The server may reset the connection while a drip is on its way.
      if (error.code !== "ECONNRESET" && error.code !== "EPIPE") reject(error);
    });
    socket.on("close", () => {
      clearInterval(timer);
      resolve({ received });
    });
    socket.on("connect", () => {
      socket.write(head);
      timer = setInterval(() => {
        if (!socket.destroyed) socket.write(drip);
      }, 100);
    });
  });
}

test("a client that trickles its headers gets 408 and its connection closed", async () => {
  const { received } = await dribble("POST /graphql HTTP/1.1\r\nHost: localhost\r\n", "X-Slow: still-coming\r\n");
  expect(received).toMatch(/^HTTP\/1\.1 408 /);
}, 20_000);

test("a client that trickles its body gets 408 and its connection closed", async () => {
  const head = "POST /graphql HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 10000\r\n\r\n";
  const { received } = await dribble(head, " ");
  expect(received).toMatch(/^HTTP\/1\.1 408 /);
}, 20_000);

test("a request sent at once is answered", async () => {
  const response = await fetch(`${bed.url}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/json" },
    body: JSON.stringify({ query: "{ __typename }" }),
  });
  expect(response.status).toBe(200);
});
