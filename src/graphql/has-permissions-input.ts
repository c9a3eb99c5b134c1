import type { PgSelectStep } from "postgraphile/@dataplan/pg";
import { connection } from "postgraphile/grafast";
import { wrapPlans, type PlanWrapperRules } from "postgraphile/utils";

/**
 * Query.hasPermissions hands its checks to auth.has_permissions as
 * GraphQL coerced them. The generated plan first rebuilds every
 * PermissionCheckInput through Grafast's input machinery (bakedInput, a
 * setter per object), which here only copies `resource` and `action` into
 * an object of the same shape: for the 28-pair batch check that was about
 * a fifth of what a request allocates (277 KiB before, 220 after), all of
 * it garbage a busy worker then has to collect. The argument's codec
 * encodes the coerced objects directly, so the SQL and its answers stay
 * exactly as generated.
 */
export const HasPermissionsInputPlugin = wrapPlans(
  (build): PlanWrapperRules => {
    const resource = build.input.pgRegistry.pgResources.has_permissions;
    const checks = resource?.parameters?.[0];
    // Mid-change in `graphile-migrate watch` the function may be gone; so is its field then.
    if (!resource || !checks) return {};
    return {
      Query: {
        hasPermissions: (_generated, _$root, fieldArgs) => {
          const $checks = fieldArgs.getRaw("checks");
          return connection(resource.execute([{ step: $checks, pgCodec: checks.codec, name: checks.name ?? undefined }]) as PgSelectStep);
        },
      },
    };
  },
  { name: "HasPermissionsInputPlugin", description: "Query.hasPermissions encodes its coerced checks without rebuilding them." },
);
