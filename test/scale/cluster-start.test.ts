import net from "node:net";
import { runCommand } from "../helpers/cli.js";
import { createTestDatabase, type TestDatabase } from "../helpers/database.js";

let db: TestDatabase;
let taken: net.Server;
beforeAll(async () => {
  db = await createTestDatabase();
  taken = net.createServer();
  await new Promise<void>((resolve) => taken.listen(0, "127.0.0.1", resolve));
});
afterAll(async () => {
  await new Promise((resolve) => taken?.close(resolve));
  await db?.drop();
});

test("a cluster whose workers cannot start fails its start with exit 1, naming why", async () => {
  const { port } = taken.address() as net.AddressInfo;
  const result = await runCommand("start", [], { ...db.env, PORT: String(port), WEB_CONCURRENCY: "2" });
  expect(result.code).toBe(1);
  expect(result.stderr).toContain(`bind EADDRINUSE 127.0.0.1:${port}`);
  expect(result.stderr).toMatch(/auth-db: worker [12] exited \(code 1\) before it was ready/);
});
