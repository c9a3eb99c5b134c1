import type { GraphQLError } from "postgraphile/graphql";
import { rootFieldsByResponseKey, selectedOperation } from "../graphql/operation.js";
import type { SecurityEventQueue } from "../security/event-queue.js";
import type { DeniedAttemptLog } from "./denied-attempt-log.js";

interface DatabaseError {
  code?: unknown;
  detail?: unknown;
}

/** The refusals among a result's errors: the response key, the message and the missing permission. */
function refusals(errors: readonly GraphQLError[]) {
  return errors.flatMap((error) => {
    const original = error.originalError as DatabaseError | undefined;
    if (original?.code !== "42501") return [];
    const responseKey = typeof error.path?.[0] === "string" ? error.path[0] : undefined;
    const permission = typeof original.detail === "string" && /^[a-z][a-z0-9_]*:[a-z]+$/.test(original.detail) ? original.detail : null;
    return [{ responseKey, message: error.message, permission }];
  });
}

/** Who the request's settings say is calling, as the audit log names actors. */
function actorOf(pgSettings: Record<string, string>): { userId: string; actorType: "user" | "service" } | undefined {
  if (pgSettings["api_key.id"]) return { userId: pgSettings["api_key.id"], actorType: "service" };
  if (pgSettings["jwt.claims.sub"]) return { userId: pgSettings["jwt.claims.sub"], actorType: "user" };
  return undefined;
}

/**
 * Every permission refusal becomes a REQUEST_DENIED security event, and a
 * refused mutation of a signed-in caller also an ACCESS_DENIED audit row
 * (the refused transaction rolled back, audit rows included). Both are
 * coalesced per caller, field and address over a window, written off the
 * request path with a count: the records stay bounded whatever number of
 * aliases or requests a caller sends. Anonymous callers never get here
 * with a mutation (they are refused before execution).
 */
export function deniedAttemptsPlugin(securityEvents: SecurityEventQueue, deniedAttempts: DeniedAttemptLog): GraphileConfig.Plugin {
  return {
    name: "AuthDbDeniedAttemptsPlugin",
    version: "2.0.0",
    description: "Records refused requests, coalesced, as security events and audit rows",
    grafast: {
      middleware: {
        async execute(next, event) {
          const result = await next();
          if (!("errors" in result) || !result.errors?.length) return result;
          const refused = refusals(result.errors);
          if (refused.length === 0) return result;
          const { document, operationName, contextValue } = event.args;
          const pgSettings = (contextValue as { pgSettings?: Record<string, string> }).pgSettings ?? {};
          const operation = selectedOperation(document, operationName);
          const fields = operation ? rootFieldsByResponseKey(document, operation) : new Map<string, string>();
          const actor = actorOf(pgSettings);
          for (const refusal of refused) {
            const field = (refusal.responseKey && fields.get(refusal.responseKey)) ?? "unknown";
            securityEvents.recordRepeated({
              type: "REQUEST_DENIED",
              description: refusal.message,
              ip_address: pgSettings["request.ip"],
              user_agent: pgSettings["request.user_agent"],
              user_id: actor?.userId,
              user_name: pgSettings["jwt.claims.preferred_username"] || undefined,
              detail: { field, ...(refusal.permission ? { permission: refusal.permission } : {}) },
            });
            if (operation?.operation === "mutation" && actor) {
              deniedAttempts.record({
                operation: field,
                message: refusal.message,
                permission: refusal.permission,
                ...actor,
                ipAddress: pgSettings["request.ip"],
                userAgent: pgSettings["request.user_agent"],
                traceId: pgSettings["request.trace_id"],
              });
            }
          }
          return result;
        },
      },
    },
  };
}
