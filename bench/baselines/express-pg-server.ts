import type { Request } from "express";
import pg from "pg";
import { withRequestSettings } from "../../src/db/request-transaction.js";
import { serveBaseline } from "./baseline-app.js";
import { baselineEnv, bearerVerifier, requestSettings } from "./bearer.js";
import { permissionCheck, permissionCheckArray, permissionChecks } from "./permission-input.js";

/*
 * Baseline (a): what a careful hand-written endpoint would cost for the same
 * answer. It verifies the token like auth-db, then runs the same
 * transaction through the same function (src/db/request-transaction.ts):
 * begin with set_config(...) for the role and jwt.claims.* in one message;
 * the function call; commit, on a pool of the same size (10) logged in as
 * the authenticator.
 */

const env = baselineEnv();
const verify = bearerVerifier(env);
const pool = new pg.Pool({ connectionString: env.authenticatorUrl, max: 10 });

/** The same transaction as auth-db's: begin with the role and claims, the query, commit. */
async function asCaller<T>(claims: Awaited<ReturnType<typeof verify>>, req: Request, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  return withRequestSettings(pool, requestSettings(claims, req, env.userRole), work);
}

serveBaseline(
  env.port,
  {
    async check(req) {
      const claims = await verify(req);
      const { resource, action } = permissionCheck(req.body);
      const granted = await asCaller(claims, req, async (client) => {
        const { rows } = await client.query<{ granted: boolean }>({
          name: "has_permission",
          text: "select auth.has_permission($1::text, $2::auth.permission_action) as granted",
          values: [resource, action],
        });
        return rows[0]!.granted;
      });
      return { hasPermission: granted };
    },
    async checks(req) {
      const claims = await verify(req);
      const checks = permissionChecks(req.body);
      const nodes = await asCaller(claims, req, async (client) => {
        const { rows } = await client.query<{ resource: string; action: string; granted: boolean }>({
          name: "has_permissions",
          text: "select resource, action::text, granted from auth.has_permissions($1::auth.permission_check[])",
          values: [permissionCheckArray(checks)],
        });
        return rows;
      });
      return { hasPermissions: { nodes } };
    },
  },
  () => pool.end(),
);
