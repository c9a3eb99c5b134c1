import type { IntrospectionPolicy } from "../config/config.js";
import { documentFacts } from "../graphql/document-facts.js";
import type { AuthenticatedRequest } from "./authentication.js";
import { refusal } from "./refusal.js";

/**
 * Refuses introspection to callers the policy leaves out, with 403
 * INTROSPECTION_NOT_ALLOWED, before the operation runs. `__typename` is not
 * introspection: clients add it everywhere. It runs on the decoded request,
 * after the authentication middleware named the caller, so it holds for
 * every request shape.
 */
export function introspectionPolicyPlugin(policy: IntrospectionPolicy): GraphileConfig.Plugin {
  return {
    name: "AuthDbIntrospectionPolicyPlugin",
    version: "1.0.0",
    grafserv: {
      middleware: {
        processGraphQLRequestBody(next, event) {
          if (policy === "everyone" || typeof event.body.query !== "string") return next();
          if (!documentFacts(event.body.query).introspects) return next();
          if (policy === "off") {
            throw refusal(403, "INTROSPECTION_NOT_ALLOWED", "introspection is turned off (GRAPHQL_INTROSPECTION=off)");
          }
          const req = event.request?.requestContext.expressv4?.req as AuthenticatedRequest | undefined;
          const caller = req?.callerKind;
          if (caller !== "user" && caller !== "service") {
            throw refusal(403, "INTROSPECTION_NOT_ALLOWED", "introspection needs a valid token or API key (GRAPHQL_INTROSPECTION=authenticated)");
          }
          return next();
        },
      },
    },
  };
}
