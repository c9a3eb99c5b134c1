import { serveBaseline } from "./baseline-app.js";
import { baselineEnv, bearerVerifier } from "./bearer.js";
import { loadEnforcer } from "./casbin-policy.js";
import { permissionCheck, permissionChecks } from "./permission-input.js";

/*
 * Baseline (b): the usual alternative to deciding in PostgreSQL, an
 * in-process policy engine. The role→permission matrix and the users' roles
 * are loaded once at start; each request verifies the token with jose and
 * asks casbin. No database round trip per request, and so no revocation
 * until the next reload: it is the speed of not asking the database.
 */

const env = baselineEnv();
const verify = bearerVerifier(env);
const { enforcer, lines } = await loadEnforcer(env.ownerUrl);
console.log(`casbin baseline: ${lines} policy lines loaded`);

serveBaseline(env.port, {
  async check(req) {
    const claims = await verify(req);
    const { resource, action } = permissionCheck(req.body);
    return { hasPermission: enforcer.enforceSync(claims.sub, resource, action) };
  },
  async checks(req) {
    const claims = await verify(req);
    const nodes = permissionChecks(req.body).map(({ resource, action }) => ({
      resource,
      action,
      granted: enforcer.enforceSync(claims.sub, resource, action),
    }));
    return { hasPermissions: { nodes } };
  },
});
