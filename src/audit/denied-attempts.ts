import type pg from "pg";
import type { GraphQLError } from "postgraphile/graphql";
import { queryWithRequestSettings } from "../db/request-transaction.js";
import { selectedOperation } from "../graphql/operation.js";
import type { SecurityEventQueue } from "../security/event-queue.js";
import { logger } from "../observability/logger.js";

interface DatabaseError {
  code?: unknown;
  detail?: unknown;
}

/** The refusals among a result's errors: the mutation field, the message and the missing permission. */
function refusals(errors: readonly GraphQLError[]) {
  return errors.flatMap((error) => {
    const original = error.originalError as DatabaseError | undefined;
    if (original?.code !== "42501") return [];
    const field = typeof error.path?.[0] === "string" ? error.path[0] : "unknown";
    const permission = typeof original.detail === "string" && /^[a-z][a-z0-9_]*:[a-z]+$/.test(original.detail) ? original.detail : null;
    return [{ field, message: error.message, permission }];
  });
}

/**
 * Every permission refusal becomes a security event (queued, off the
 * request path). Refused mutations are also audited: they rolled back their
 * own transaction, audit rows included, so the refusal is recorded
 * afterwards in a transaction of its own with the same request settings
 * (auth.record_denied_attempt, result DENIED).
 */
export function deniedAttemptsPlugin(pool: pg.Pool, securityEvents: SecurityEventQueue): GraphileConfig.Plugin {
  return {
    name: "AuthDbDeniedAttemptsPlugin",
    version: "1.0.0",
    description: "Records refused mutations in the audit log",
    grafast: {
      middleware: {
        async execute(next, event) {
          const result = await next();
          if (!("errors" in result) || !result.errors?.length) return result;
          const { document, operationName, contextValue } = event.args;
          const pgSettings = (contextValue as { pgSettings?: Record<string, string> }).pgSettings ?? {};
          const refused = refusals(result.errors);
          for (const refusal of refused) {
            securityEvents.record({
              type: "REQUEST_DENIED",
              description: refusal.message,
              ip_address: pgSettings["request.ip"],
              user_agent: pgSettings["request.user_agent"],
              user_id: pgSettings["jwt.claims.sub"] ?? pgSettings["api_key.id"],
              user_name: pgSettings["jwt.claims.preferred_username"],
              detail: { field: refusal.field, ...(refusal.permission ? { permission: refusal.permission } : {}) },
            });
          }
          if (selectedOperation(document, operationName)?.operation !== "mutation") return result;
          for (const refusal of refused) {
            await queryWithRequestSettings(pool, pgSettings, {
              text: "select auth.record_denied_attempt($1, $2, $3)",
              values: [refusal.field, refusal.message, refusal.permission],
            }).catch((error: unknown) => logger.error({ err: error }, "could not record a denied attempt"));
          }
          return result;
        },
      },
    },
  };
}
