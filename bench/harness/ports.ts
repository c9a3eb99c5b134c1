import net from "node:net";

/*
 * The developer's own `npm start` uses 3000 (HTTP) and 54320 (embedded
 * PostgreSQL); 54320 lies inside Linux's ephemeral range, so the OS could
 * hand it out while that server happens to be down.
 */
const RESERVED = new Set([3000, 54320]);

async function askOsForPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** A TCP port on 127.0.0.1 that was free a moment ago and is not one the developer uses. */
export async function freePort(): Promise<number> {
  for (;;) {
    const port = await askOsForPort();
    if (!RESERVED.has(port)) return port;
  }
}
