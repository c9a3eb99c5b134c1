import { startAuditChainer, type AuditChainer } from "./audit/chainer.js";
import { checkRoleMapping } from "./auth/role-mapping.js";
import type { Config } from "./config/config.js";
import { createAuthenticatorPool } from "./db/pool.js";
import { provisionDatabase } from "./db/provision.js";
import { startHttpServer, type RunningHttpServer } from "./http/server.js";
import { jobContextFor } from "./lifecycle/context.js";
import { JOB_INTERVAL_HOURS, startScheduler } from "./lifecycle/scheduler.js";
import { DatabaseAvailability } from "./db/availability.js";
import { trackPool } from "./observability/metrics.js";
import { SecurityEventQueue } from "./security/event-queue.js";

export interface RunningService {
  http: RunningHttpServer;
  /** Links new audit rows into the hash chain in the background. */
  auditChainer: AuditChainer;
  /** Shuts down in order: HTTP (drains in-flight requests), pool, embedded database. */
  stop(): Promise<void>;
}

export interface ServiceOptions {
  /** Rebuild the GraphQL schema when the database schema changes (development). */
  watchSchema?: boolean;
  /** The database is already started, set up and migrated (by a cluster primary): do none of that here. */
  skipProvisioning?: boolean;
}

/** Brings up auth-db: database, migrations, pool and HTTP server. */
export async function startService(config: Config, options: ServiceOptions = {}): Promise<RunningService> {
  const { database } = config;
  const startedAt = new Date();
  const provisioned = options.skipProvisioning ? { close: async () => {} } : await provisionDatabase(database);
  const pool = createAuthenticatorPool(database.authenticatorUrl);
  const untrackPool = trackPool(pool);
  const availability = new DatabaseAvailability(pool);
  pool.on("error", (error) => availability.report(error));
  const securityEvents = new SecurityEventQueue(pool, { capacity: 10_000, flushIntervalMs: 250 });
  let http: RunningHttpServer;
  try {
    await checkRoleMapping(pool, config.auth.roleMapping);
    http = await startHttpServer({
      pool,
      roles: database.roles,
      auth: config.auth,
      host: config.host,
      port: config.port,
      graphiql: config.graphiql,
      metrics: config.observability.metricsOnPublicPort,
      limits: config.limits,
      availability,
      securityEvents,
      health: { startedAt, jobIntervalHours: JOB_INTERVAL_HOURS, minimumRunwayDays: 7 },
      watch:
        options.watchSchema && database.rootUrl
          ? { superuserConnectionString: database.rootUrl }
          : undefined,
    });
  } catch (error) {
    await securityEvents.stop();
    availability.stop();
    untrackPool();
    await pool.end();
    await provisioned.close();
    throw error;
  }
  const auditChainer = startAuditChainer(pool, config.audit.chainIntervalMs);
  let scheduler: Awaited<ReturnType<typeof startScheduler>> | undefined;
  try {
    if (config.lifecycle.schedulerInServer) scheduler = await startScheduler(jobContextFor(config));
  } catch (error) {
    await http.close();
    await auditChainer.stop();
    await securityEvents.stop();
    availability.stop();
    untrackPool();
    await pool.end();
    await provisioned.close();
    throw error;
  }
  return {
    http,
    auditChainer,
    async stop() {
      await http.close();
      await scheduler?.stop();
      await auditChainer.stop();
      await securityEvents.stop();
      availability.stop();
    untrackPool();
      await pool.end();
      await provisioned.close();
    },
  };
}
