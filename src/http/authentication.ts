import type { NextFunction, Request, Response } from "express";
import { CredentialRejected, IssuerUnavailable } from "../auth/errors.js";
import { identify, pgSettingsFor, type IdentifyDependencies, type RequestFacts } from "../auth/identity.js";
import type { UserSync } from "../auth/user-sync.js";
import { refuse, sendGraphQLError } from "./refusal.js";
import type { CallerInfo } from "./request-log.js";
import { credentialRejections } from "../observability/metrics.js";
import type { SecurityEventQueue } from "../security/event-queue.js";
import { rejectedTokenFacts } from "../security/token-facts.js";
import { logger } from "../observability/logger.js";
import { header } from "./headers.js";

/** The fields of a CREDENTIAL_REJECTED event summarised rather than grouped by (see SecurityEventQueue.recordRepeated). */
const CREDENTIAL_REJECTION_SUMMARISED = ["reason", "kid", "alg", "iss"] as const;

/** What the authentication middleware leaves on the request for PostGraphile and the request log. */
export interface AuthenticatedRequest extends Request, CallerInfo {
  authDb?: { pgSettings: Record<string, string> };
}

export interface AuthenticationOptions extends IdentifyDependencies {
  userSync: UserSync;
  securityEvents: SecurityEventQueue;
}

/** RFC 6750-style challenge for the scheme that failed; quotes inside the description would break the header. */
function challenge(error: CredentialRejected): string {
  const description = error.message.replace(/["\\]/g, "'");
  return error.reason.startsWith("API_KEY_")
    ? `ApiKey realm="auth-db", error="invalid_key", error_description="${description}"`
    : `Bearer realm="auth-db", error="invalid_token", error_description="${description}"`;
}

/**
 * In front of /graphql: turns the presented credential (a Keycloak token or
 * an API key) into the Postgres role and settings of the request. None is
 * anonymous; one that does not verify is a 401 saying why (never a quiet
 * downgrade to anonymous); an issuer that cannot be reached is a 503.
 */
export function authentication(options: AuthenticationOptions) {
  return async (req: AuthenticatedRequest, res: Response, next: NextFunction): Promise<void> => {
    try {
      const facts: RequestFacts = {
        ip: req.ip,
        userAgent: header(req, "user-agent"),
        traceparent: header(req, "traceparent"),
      };
      const identity = await identify(
        { authorization: header(req, "authorization"), apiKey: header(req, "x-api-key") },
        facts,
        options,
      );
      const pgSettings = pgSettingsFor(identity, facts, options.roles);
      await options.userSync.ensure(identity, pgSettings);
      req.authDb = { pgSettings };
      req.callerKind = identity.kind;
      next();
    } catch (error) {
      req.callerKind = "rejected";
      if (error instanceof CredentialRejected) {
        credentialRejections.inc({ reason: error.reason });
        // Rejected API keys are queued by the API key verifier. Rejected tokens are coalesced per
        // address and window: what they claim (kid, alg, iss) is the sender's choice, so summarised.
        if (!error.reason.startsWith("API_KEY_")) {
          options.securityEvents.recordRepeated(
            {
            type: "CREDENTIAL_REJECTED",
            description: error.message,
            ip_address: req.ip,
            user_agent: header(req, "user-agent")?.slice(0, 512),
            detail: { reason: error.reason, ...rejectedTokenFacts(header(req, "authorization")) },
            },
            CREDENTIAL_REJECTION_SUMMARISED,
          );
        }
        sendGraphQLError(
          res,
          401,
          `invalid credentials: ${error.message}`,
          { code: "UNAUTHENTICATED", reason: error.reason },
          { "WWW-Authenticate": challenge(error) },
        );
      } else if (error instanceof IssuerUnavailable) {
        logger.warn({ err: error }, "token issuer unavailable")
        sendGraphQLError(res, 503, error.message, { code: "ISSUER_UNAVAILABLE" }, { "Retry-After": "5" });
      } else if ((error as { code?: unknown }).code === "23505") {
        // The token's username or email belongs to another profile (e.g. a re-created Keycloak account).
        refuse(res, 409, "PROFILE_CONFLICT", "this account's username or email is already used by another auth-db user profile");
      } else {
        next(error);
      }
    }
  };
}
