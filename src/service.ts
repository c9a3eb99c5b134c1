import { startAuditChainer, type AuditChainer } from "./audit/chainer.js";
import { DeniedAttemptLog } from "./audit/denied-attempt-log.js";
import { checkRoleMapping } from "./auth/role-mapping.js";
import type { TokenVerifier } from "./auth/token-verifier.js";
import type { Config } from "./config/config.js";
import { warnAboutConnectionBudget } from "./db/connection-budget.js";
import { createAuthenticatorPool } from "./db/pool.js";
import { provisionDatabase } from "./db/provision.js";
import { superuserUrlFor } from "./db/superuser-url.js";
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
  /** Where the embedded PostgreSQL this process started keeps its data (and binaries, when copied). */
  embeddedWhere?: string;
}

export interface ServiceOptions {
  /** Rebuild the GraphQL schema when the database schema changes (development). */
  watchSchema?: boolean;
  /** The database is already started, set up and migrated (by a cluster primary): do none of that here. */
  skipProvisioning?: boolean;
  /** Replaces the configured issuer's token verifier (see HttpServerOptions.tokenVerifier). */
  tokenVerifier?: TokenVerifier;
}

/**
 * Brings up auth-db: database, migrations, pool, background work and HTTP
 * server. Each part registers how to close it as it starts; a failed start
 * and stop() unwind the same list in reverse, so the HTTP server drains
 * first and the database stops last.
 */
export async function startService(config: Config, options: ServiceOptions = {}): Promise<RunningService> {
  const { database } = config;
  const startedAt = new Date();
  const closers: Array<() => unknown> = [];
  let embeddedWhere: string | undefined;
  const stop = async () => {
    while (closers.length > 0) await closers.pop()!();
  };
  try {
    if (!options.skipProvisioning) {
      const provisioned = await provisionDatabase(database);
      closers.push(() => provisioned.close());
      embeddedWhere = provisioned.embedded?.where;
      await warnAboutConnectionBudget(database, 1);
    }
    const pool = createAuthenticatorPool(database.authenticatorUrl, database.poolSize);
    closers.push(() => pool.end());
    closers.push(trackPool(pool));
    const availability = new DatabaseAvailability(pool);
    pool.on("error", (error) => availability.report(error));
    closers.push(() => availability.stop());
    const securityEvents = new SecurityEventQueue(pool, { capacity: 10_000, flushIntervalMs: 250, coalesce: config.audit.refusals });
    closers.push(() => securityEvents.stop());
    await checkRoleMapping(pool, config.auth.roleMapping);

    const auditChainer = startAuditChainer(pool, config.audit.chainIntervalMs);
    closers.push(() => auditChainer.stop());
    // Stopped after the HTTP server has drained, before the chainer: its last rows are written, then linked.
    const deniedAttempts = new DeniedAttemptLog(pool, config.audit.refusals);
    closers.push(() => deniedAttempts.stop());
    if (config.lifecycle.schedulerInServer) {
      const scheduler = await startScheduler(jobContextFor(config));
      closers.push(() => scheduler.stop());
    }

    const superuserUrl = options.watchSchema ? superuserUrlFor(database) : undefined;
    const http = await startHttpServer({
      pool,
      roles: database.roles,
      auth: config.auth,
      host: config.host,
      port: config.port,
      graphiql: config.graphiql,
      introspection: config.introspection,
      metrics: config.observability.metricsOnPublicPort,
      limits: config.limits,
      availability,
      securityEvents,
      deniedAttempts,
      health: { startedAt, jobIntervalHours: JOB_INTERVAL_HOURS, minimumRunwayDays: 7 },
      tokenVerifier: options.tokenVerifier,
      watch: superuserUrl ? { superuserConnectionString: superuserUrl } : undefined,
    });
    closers.push(() => http.close());
    return { http, auditChainer, stop, embeddedWhere };
  } catch (error) {
    await stop();
    throw error;
  }
}
