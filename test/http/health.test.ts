import type { TestCluster } from "../helpers/cluster.js";
import { health } from "../helpers/http.js";
import { startServiceOnOwnCluster, type TestService } from "../helpers/service.js";

/*
 * This file stops and starts PostgreSQL, so it runs on a cluster of its own
 * rather than the one the other test files share.
 */
let cluster: TestCluster;
let service: TestService;
let stop: () => Promise<void>;
beforeAll(async () => {
  ({ cluster, service, stop } = await startServiceOnOwnCluster());
});
afterAll(async () => {
  await stop?.();
});

/** Polls /health until it answers `status` (bounded: 40 tries, 250 ms apart). */
async function healthBecomes(status: number): Promise<{ status: number; body: unknown }> {
  let last = await health(service.url);
  for (let attempt = 0; attempt < 40 && last.status !== status; attempt++) {
    await new Promise((resolve) => setTimeout(resolve, 250));
    last = await health(service.url);
  }
  return last;
}

test("health reports the database up with 200", async () => {
  expect(await health(service.url)).toMatchObject({
    status: 200,
    body: { status: "ok", info: { database: { status: "up" } } },
  });
});

test("health reports the database down with 503 while it is stopped", async () => {
  await cluster.database.stop();
  expect(await health(service.url)).toEqual({
    status: 503,
    body: { status: "error", info: { database: { status: "down" } } },
  });
});

test("health recovers by itself when the database comes back", async () => {
  await cluster.database.start();
  expect(await healthBecomes(200)).toMatchObject({
    status: 200,
    body: { status: "ok", info: { database: { status: "up" } } },
  });
});
