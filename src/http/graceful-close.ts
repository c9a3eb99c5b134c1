import type http from "node:http";

/**
 * Prepares `server` for a graceful close and returns the function that
 * closes it: stop accepting connections, let every request in flight finish,
 * resolve when the last connection is gone.
 *
 * server.close() alone only closes the keep-alive connections that are idle
 * at that moment. A connection whose request finishes afterwards stays open
 * until its keep-alive timeout (about 6 s), and a client that sends another
 * request on it is served, so a steady client holds the close open. Hence,
 * once closing, every response says `Connection: close`, which ends its
 * connection as soon as the response is sent.
 */
export function gracefulClose(server: http.Server): () => Promise<void> {
  let closing = false;
  const inFlight = new Set<http.ServerResponse>();
  server.prependListener("request", (_request: http.IncomingMessage, response: http.ServerResponse) => {
    if (closing) response.setHeader("connection", "close");
    inFlight.add(response);
    response.once("close", () => inFlight.delete(response));
  });
  return () =>
    new Promise<void>((resolve, reject) => {
      closing = true;
      for (const response of inFlight) if (!response.headersSent) response.setHeader("connection", "close");
      server.close((error) => (error ? reject(error) : resolve()));
    });
}
