import type { Config } from "../../src/config/config.js";
import { startService, type RunningService } from "../../src/service.js";
import { startTestCluster, type TestCluster } from "./cluster.js";
import { createTestDatabase } from "./database.js";

export type TestService = RunningService & { url: string };

/** Starts auth-db on a free port for the duration of a test file. */
export async function startTestService(config: Config): Promise<TestService> {
  const service = await startService(config);
  return Object.assign(service, { url: service.http.url });
}

/**
 * auth-db on a PostgreSQL cluster of its own, for tests that stop and start
 * the database (the shared cluster must stay up for the other files).
 */
export async function startServiceOnOwnCluster(): Promise<{ cluster: TestCluster; service: TestService; stop(): Promise<void> }> {
  const cluster = await startTestCluster();
  try {
    const db = await createTestDatabase({ rootUrl: cluster.rootUrl });
    const service = await startTestService(db.config);
    return {
      cluster,
      service,
      async stop() {
        await service.stop();
        await cluster.destroy();
      },
    };
  } catch (error) {
    await cluster.destroy();
    throw error;
  }
}
