import { context, sideEffect, type Step } from "postgraphile/grafast";
import { wrapPlans, type PlanWrapperRules } from "postgraphile/utils";
import { API_KEY_REJECTION_SUMMARISED, apiKeyRejection } from "../security/api-key-rejection.js";
import type { SecurityEventQueue } from "../security/event-queue.js";

interface StepWithFields {
  get(field: string): Step & StepWithFields;
}

/**
 * Mutation.verifyApiKey queues its failures as API_KEY_REJECTED security
 * events (coalesced by SecurityEventQueue.recordRepeated), whatever the
 * caller selected of the result: auth.verify_api_key writes none itself,
 * since a single request of aliased calls could otherwise write without
 * bound, around the queue.
 */
export function verifyApiKeyEventsPlugin(securityEvents: SecurityEventQueue): GraphileConfig.Plugin {
  return wrapPlans(
    (build): PlanWrapperRules => {
      // Mid-change in `graphile-migrate watch` the function may be gone; so is its field then.
      if (!build.input.pgRegistry.pgResources.verify_api_key) return {};
      return {
        Mutation: {
          verifyApiKey: (plan, _$root, fieldArgs) => {
            const $payload = plan() as Step & StepWithFields;
            const $code = $payload.get("result").get("code");
            const $key = fieldArgs.getRaw(["input", "key"]);
            const $settings = context().get("pgSettings") as Step<Record<string, string> | undefined>;
            sideEffect([$code, $key, $settings], ([code, key, settings]) => {
              if (typeof code !== "string" || code === "VALID") return;
              securityEvents.recordRepeated(
                apiKeyRejection(code, typeof key === "string" ? key : "", {
                  ip: settings?.["request.ip"],
                  userAgent: settings?.["request.user_agent"],
                  userId: settings?.["jwt.claims.sub"] ?? settings?.["api_key.id"],
                  userName: settings?.["jwt.claims.preferred_username"] || undefined,
                }),
                API_KEY_REJECTION_SUMMARISED,
              );
            });
            return $payload;
          },
        },
      };
    },
    { name: "AuthDbVerifyApiKeyEventsPlugin", description: "verifyApiKey queues its failures as security events." },
  );
}
