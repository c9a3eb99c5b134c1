import type { AuthConfig } from "../config/config.js";
import type { RoleNames } from "../config/roles.js";
import { keycloakRolesOf, type KeycloakClaims } from "./claims.js";
import { CredentialRejected } from "./errors.js";
import type { TokenVerifier } from "./token-verifier.js";

/** Who is calling, as far as the HTTP layer can tell. */
export type Identity =
  | { kind: "anonymous" }
  | {
      kind: "user";
      claims: KeycloakClaims;
      /** Realm roles and the configured client's roles. */
      keycloakRoles: string[];
      /** The Postgres role the request runs as. */
      postgresRole: string;
    };

/** The request facts auth-db passes on to SQL next to the identity. */
export interface RequestFacts {
  ip?: string;
  userAgent?: string;
  traceparent?: string;
}

/**
 * The Postgres role for a user: the first configured mapping whose Keycloak
 * role the token carries, else the plain user role. Nothing is lifted
 * without a mapping.
 */
export function postgresRoleFor(keycloakRoles: string[], auth: AuthConfig, roles: RoleNames): string {
  const lifted = auth.roleMapping.find((entry) => keycloakRoles.includes(entry.keycloakRole));
  return lifted?.postgresRole ?? roles.user;
}

/** Resolves the Authorization header: none is anonymous, a bad one is refused. */
export async function identify(
  authorization: string | undefined,
  verifier: TokenVerifier,
  auth: AuthConfig,
  roles: RoleNames,
): Promise<Identity> {
  if (authorization === undefined) return { kind: "anonymous" };
  const match = /^(\S+)(?: +(.*))?$/.exec(authorization.trim());
  if (!match || match[1]!.toLowerCase() !== "bearer") {
    throw new CredentialRejected("UNSUPPORTED_SCHEME", "Authorization header must be: Bearer <token>");
  }
  const token = match[2]?.trim();
  if (!token) throw new CredentialRejected("MALFORMED", "Authorization header has no token after Bearer");
  const claims = await verifier.verify(token);
  const keycloakRoles = keycloakRolesOf(claims, auth.clientId);
  return { kind: "user", claims, keycloakRoles, postgresRole: postgresRoleFor(keycloakRoles, auth, roles) };
}

/** The W3C trace id of a valid `traceparent` header; an invalid header is ignored, as the spec asks. */
export function traceIdOf(traceparent: string | undefined): string | undefined {
  const match = /^[0-9a-f]{2}-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}$/.exec(traceparent?.trim() ?? "");
  if (!match || /^0+$/.test(match[1]!) || /^0+$/.test(match[2]!)) return undefined;
  return match[1];
}

/**
 * What SQL sees of the request: the role to SET, the verified claims as
 * `jwt.claims.*` and the request facts as `request.*` (read them with
 * current_setting(name, true)).
 */
export function pgSettingsFor(identity: Identity, facts: RequestFacts, roles: RoleNames): Record<string, string> {
  const settings: Record<string, string> = {
    role: identity.kind === "user" ? identity.postgresRole : roles.anonymous,
  };
  if (identity.kind === "user") {
    const { claims } = identity;
    settings["jwt.claims.sub"] = claims.sub;
    settings["jwt.claims.preferred_username"] = claims.preferred_username ?? "";
    settings["jwt.claims.email"] = claims.email ?? "";
    settings["jwt.claims.name"] = claims.name ?? "";
    settings["jwt.claims.roles"] = JSON.stringify(identity.keycloakRoles);
  }
  if (facts.ip) settings["request.ip"] = facts.ip;
  if (facts.userAgent) settings["request.user_agent"] = facts.userAgent.slice(0, 512);
  const traceId = traceIdOf(facts.traceparent);
  if (traceId) settings["request.trace_id"] = traceId;
  return settings;
}
