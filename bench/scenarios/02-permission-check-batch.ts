import { EVERY_PERMISSION } from "../../test/helpers/seeded-matrix.js";
import { permissionCheckArray, type PermissionCheck } from "../baselines/permission-input.js";
import { comparePermissionChecks, permissionTargetNames } from "../harness/permission-check-comparison.js";
import { graphqlRequest } from "../harness/requests.js";
import type { Scenario } from "../harness/types.js";

/** Every seeded (resource, action) pair: 28 checks in one request, as the permission-matrix test asks. */
const CHECKS = EVERY_PERMISSION.map((pair) => {
  const [resource, action] = pair.split(":");
  return { resource, action } as PermissionCheck;
});

const QUERY = "query ($checks: [PermissionCheckInput]!) { hasPermissions(checks: $checks) { nodes { resource action granted } } }";

const scenario: Scenario = {
  id: "permission-check-batch",
  title: `Batch permission check: hasPermissions with ${CHECKS.length} pairs`,
  description:
    `One hasPermissions call with all ${CHECKS.length} seeded (resource, action) pairs per request, as a sys_auditor holder. ` +
    "Same comparison as the single check; casbin answers the pairs one by one in process (enforceSync per pair, no decision cache).",
  targetNames: permissionTargetNames("hasPermissions"),
  countStatementsOf: (fixtures) => ({ graphql: graphqlRequest(fixtures.reader.token, QUERY, { checks: CHECKS }) }),
  run: (ctx) =>
    comparePermissionChecks(ctx, {
      what: "hasPermissions",
      graphql: graphqlRequest(ctx.fixtures.reader.token, QUERY, { checks: CHECKS }),
      baselinePath: "/checks",
      baselineBody: { checks: CHECKS },
      sql: {
        name: "has_permissions",
        text: "select resource, action::text, granted from auth.has_permissions($1::auth.permission_check[])",
        values: [permissionCheckArray(CHECKS)],
      },
      pgbench: {
        statement: "select resource, action::text, granted from auth.has_permissions(:checks::auth.permission_check[])",
        variables: { checks: permissionCheckArray(CHECKS) },
      },
    }),
};

export default scenario;
