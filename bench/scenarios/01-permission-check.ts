import { comparePermissionChecks, permissionTargetNames } from "../harness/permission-check-comparison.js";
import { graphqlRequest, HAS_PERMISSION_QUERY as QUERY } from "../harness/requests.js";
import type { Scenario } from "../harness/types.js";

const scenario: Scenario = {
  id: "permission-check",
  title: "Permission check: hasPermission(users, read)",
  description:
    "One permission check per request with a real RS256 token, as a sys_auditor holder (answer: true). " +
    "auth-db verifies the token, sets the role and jwt.claims.* in a transaction and calls auth.has_permission. " +
    "Baseline: a hand-written express + pg endpoint doing the same verification and the same transaction.",
  targetNames: permissionTargetNames("hasPermission"),
  countStatementsOf: (fixtures) => ({ graphql: graphqlRequest(fixtures.reader.token, QUERY) }),
  run: (ctx) =>
    comparePermissionChecks(ctx, {
      what: "hasPermission",
      graphql: graphqlRequest(ctx.fixtures.reader.token, QUERY),
      baselinePath: "/check",
      baselineBody: { resource: "users", action: "read" },
      sql: {
        name: "has_permission",
        text: "select auth.has_permission($1::text, $2::auth.permission_action)",
        values: ["users", "read"],
      },
      pgbench: {
        statement: "select auth.has_permission(:resource::text, :action::auth.permission_action)",
        variables: { resource: "users", action: "read" },
      },
    }),
};

export default scenario;
