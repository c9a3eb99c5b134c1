import type { Config } from "../../src/config/config.js";
import { startService, type RunningService } from "../../src/service.js";

/** Starts auth-db on a free port for the duration of a test file. */
export async function startTestService(config: Config): Promise<RunningService & { url: string }> {
  const service = await startService(config);
  return Object.assign(service, { url: service.http.url });
}
