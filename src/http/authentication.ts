import type { NextFunction, Request, Response } from "express";
import type { AuthConfig } from "../config/config.js";
import type { RoleNames } from "../config/roles.js";
import { CredentialRejected, IssuerUnavailable } from "../auth/errors.js";
import { identify, pgSettingsFor } from "../auth/identity.js";
import type { TokenVerifier } from "../auth/token-verifier.js";
import type { UserSync } from "../auth/user-sync.js";

/** What the authentication middleware leaves on the request for PostGraphile. */
export interface AuthenticatedRequest extends Request {
  authDb?: { pgSettings: Record<string, string> };
}

export interface AuthenticationOptions {
  verifier: TokenVerifier;
  userSync: UserSync;
  auth: AuthConfig;
  roles: RoleNames;
}

function sendGraphQLError(
  res: Response,
  status: number,
  message: string,
  extensions: Record<string, string>,
  headers: Record<string, string> = {},
): void {
  res.status(status).set(headers).json({ errors: [{ message, extensions }] });
}

/** RFC 6750 challenge; quotes inside the description would break the header. */
function bearerChallenge(description: string): string {
  return `Bearer realm="auth-db", error="invalid_token", error_description="${description.replace(/["\\]/g, "'")}"`;
}

/**
 * In front of /graphql: turns the Authorization header into the Postgres
 * role and settings of the request. No header is anonymous; a header that
 * does not verify is a 401 saying why (never a quiet downgrade to
 * anonymous); an issuer that cannot be reached is a 503.
 */
export function authentication(options: AuthenticationOptions) {
  return async (req: AuthenticatedRequest, res: Response, next: NextFunction): Promise<void> => {
    try {
      const identity = await identify(req.headers.authorization, options.verifier, options.auth, options.roles);
      const pgSettings = pgSettingsFor(
        identity,
        { ip: req.ip, userAgent: req.headers["user-agent"], traceparent: req.headers.traceparent as string | undefined },
        options.roles,
      );
      await options.userSync.ensure(identity, pgSettings);
      req.authDb = { pgSettings };
      next();
    } catch (error) {
      if (error instanceof CredentialRejected) {
        sendGraphQLError(
          res,
          401,
          `invalid credentials: ${error.message}`,
          { code: "UNAUTHENTICATED", reason: error.reason },
          { "WWW-Authenticate": bearerChallenge(error.message) },
        );
      } else if (error instanceof IssuerUnavailable) {
        console.error(`token issuer unavailable: ${error.message}`);
        sendGraphQLError(res, 503, error.message, { code: "ISSUER_UNAVAILABLE" }, { "Retry-After": "5" });
      } else {
        next(error);
      }
    }
  };
}
