import type { Result } from "postgraphile/grafserv";
import type { IntrospectionPolicy } from "../config/config.js";
import { documentFacts } from "../graphql/document-facts.js";
import { withoutSuggestions } from "../graphql/errors.js";
import type { AuthenticatedRequest } from "./authentication.js";
import { refusal } from "./refusal.js";

type Caller = AuthenticatedRequest["callerKind"];

/** Whether the policy lets this caller read the schema. */
function mayIntrospect(policy: IntrospectionPolicy, caller: Caller): boolean {
  if (policy === "everyone") return true;
  return policy === "authenticated" && (caller === "user" || caller === "service");
}

function callerOf(requestContext: Partial<Grafast.RequestContext> | undefined): Caller {
  return (requestContext?.expressv4?.req as AuthenticatedRequest | undefined)?.callerKind;
}

/** The errors of a response body, rewritten by `rewrite`; other bodies as they are. */
function withErrors(body: unknown, rewrite: (error: unknown) => unknown): unknown {
  const errors = (body as { errors?: unknown } | null)?.errors;
  return Array.isArray(errors) ? { ...(body as object), errors: errors.map(rewrite) } : body;
}

/** The response with no "Did you mean …?" in its errors (grafserv hands express a serialized body). */
function withoutSchemaSuggestions(result: Result): Result {
  if (result.type === "json") return { ...result, json: withErrors(result.json, withoutSuggestions) as typeof result.json };
  if (result.type !== "buffer" || !result.buffer.includes("Did you mean")) return result;
  let body: unknown;
  try {
    body = JSON.parse(result.buffer.toString("utf8"));
  } catch {
    return result;
  }
  const buffer = Buffer.from(JSON.stringify(withErrors(body, withoutSuggestions)), "utf8");
  return { ...result, buffer, headers: { ...result.headers, "content-length": String(buffer.length) } };
}

/**
 * Refuses introspection to callers the policy leaves out, with 403
 * INTROSPECTION_NOT_ALLOWED, before the operation runs. `__typename` is not
 * introspection: clients add it everywhere. It runs on the decoded request,
 * after the authentication middleware named the caller, so it holds for
 * every request shape. The same callers get GraphQL's errors without their
 * "Did you mean …?" suggestions, which would otherwise spell the schema out
 * one typo at a time.
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
          if (!mayIntrospect(policy, callerOf(event.request?.requestContext))) {
            throw refusal(403, "INTROSPECTION_NOT_ALLOWED", "introspection needs a valid token or API key (GRAPHQL_INTROSPECTION=authenticated)");
          }
          return next();
        },
        async processRequest(next, event) {
          const result = await next();
          if (!result || mayIntrospect(policy, callerOf(event.requestDigest.requestContext))) return result;
          return withoutSchemaSuggestions(result);
        },
      },
    },
  };
}
