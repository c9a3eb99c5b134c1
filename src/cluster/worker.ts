import type { Config } from "../config/config.js";
import { startService, type ServiceOptions } from "../service.js";
import { stopOnSignals } from "../cli/shutdown.js";
import { isMessage, type ReadyMessage, type ShutdownMessage } from "./messages.js";

/**
 * A cluster worker: serves HTTP only. The primary has provisioned the
 * database and runs the lifecycle schedule, so the worker does neither. It
 * drains and exits when the primary asks, on SIGINT/SIGTERM (Ctrl-C reaches
 * every process of the group), or when the primary is gone and no
 * connection can reach it any more.
 */
export async function serveAsClusterWorker(config: Config, options: Omit<ServiceOptions, "skipProvisioning">): Promise<void> {
  const starting = startService(
    { ...config, lifecycle: { ...config.lifecycle, schedulerInServer: false } },
    { ...options, skipProvisioning: true },
  );
  let stopping: Promise<void> | undefined;
  // A start that failed has nothing to stop; its error is reported by the caller.
  const stop = () => (stopping ??= starting.then((service) => service.stop(), () => {}));
  const stopAndExit = () => {
    stop().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error("shutdown failed:", error);
        process.exit(1);
      },
    );
  };
  process.on("message", (message: unknown) => {
    if (isMessage<ShutdownMessage>(message, "auth-db:shutdown")) stopAndExit();
  });
  process.on("disconnect", stopAndExit);
  stopOnSignals(stop);
  const service = await starting;
  process.send!({ type: "auth-db:ready", url: service.http.url } satisfies ReadyMessage);
}
