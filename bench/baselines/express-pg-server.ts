import type { Request } from "express";
import pg from "pg";
import { queryWithRequestSettings } from "../../src/db/request-transaction.js";
import { serveBaseline } from "./baseline-app.js";
import { serveFromProcesses } from "./serve-from-processes.js";
import { baselineEnv, bearerVerifier, requestSettings } from "./bearer.js";
import { permissionCheck, permissionCheckArray, permissionChecks } from "./permission-input.js";

/*
 * Baseline (a): what a careful hand-written endpoint would cost for the same
 * answer. It verifies the token like auth-db, then runs the same
 * transaction through the same function (src/db/request-transaction.ts):
 * begin with set_config(...) for the role and jwt.claims.* in one message,
 * the function call and commit, sent without waiting for answers: one round
 * trip, on a pipelining pool of the same size (10) logged in as the
 * authenticator. With BENCH_PROCESSES it serves from that many cluster
 * workers, each with such a pool, as auth-db's workers each have one.
 */

const env = baselineEnv();
const verify = bearerVerifier(env);
const pool = new pg.Pool({ connectionString: env.authenticatorUrl, max: 10, pipeline: true });

/** The same transaction as auth-db's: begin with the role and claims, the query, commit. */
async function asCaller<R extends pg.QueryResultRow>(
  claims: Awaited<ReturnType<typeof verify>>,
  req: Request,
  statement: pg.QueryConfig,
): Promise<R[]> {
  const { rows } = await queryWithRequestSettings<R>(pool, requestSettings(claims, req, env.userRole), statement);
  return rows;
}

serveFromProcesses(env.processes, () =>
  serveBaseline(
    env.port,
    {
      async check(req) {
        const claims = await verify(req);
        const { resource, action } = permissionCheck(req.body);
        const rows = await asCaller<{ granted: boolean }>(claims, req, {
          name: "has_permission",
          text: "select auth.has_permission($1::text, $2::auth.permission_action) as granted",
          values: [resource, action],
        });
        return { hasPermission: rows[0]!.granted };
      },
      async checks(req) {
        const claims = await verify(req);
        const checks = permissionChecks(req.body);
        const nodes = await asCaller<{ resource: string; action: string; granted: boolean }>(claims, req, {
          name: "has_permissions",
          text: "select resource, action::text, granted from auth.has_permissions($1::auth.permission_check[])",
          values: [permissionCheckArray(checks)],
        });
        return { hasPermissions: { nodes } };
      },
    },
    () => pool.end(),
  ),
);
