import type { TestCluster } from "../helpers/cluster.js";
import { graphql } from "../helpers/http.js";
import { startServiceOnOwnCluster, type TestService } from "../helpers/service.js";

let cluster: TestCluster;
let service: TestService;
let stop: () => Promise<void>;
beforeAll(async () => {
  ({ cluster, service, stop } = await startServiceOnOwnCluster());
});
afterAll(async () => {
  await stop?.();
});

const QUERY = "{ hasPermission(resource: \"users\", action: read) }";

test("with the database stopped under load requests get quick 503s, then succeed again once it is back", async () => {
  expect((await graphql(service.url, QUERY)).status).toBe(200);
  await cluster.database.stop();

  const during: number[] = [];
  for (let i = 0; i < 20; i++) during.push((await graphql(service.url, QUERY)).status);
  expect(during.slice(1).every((status) => status === 503)).toBe(true);
  expect(during.filter((status) => status === 200)).toEqual([]);

  await cluster.database.start();
  let status = 0;
  for (let tries = 0; tries < 60 && status !== 200; tries++) {
    await new Promise((resolve) => setTimeout(resolve, 250));
    status = (await graphql(service.url, QUERY)).status;
  }
  expect(status).toBe(200);
});

test("a 503 says why, in a machine-readable way", async () => {
  await cluster.database.stop();
  try {
    await graphql(service.url, QUERY);
    const response = await graphql(service.url, QUERY);
    expect({ status: response.status, code: response.body.errors?.[0]?.extensions?.code, retry: response.headers.get("retry-after") }).toEqual({
      status: 503,
      code: "DATABASE_UNAVAILABLE",
      retry: "1",
    });
  } finally {
    await cluster.database.start();
  }
});
