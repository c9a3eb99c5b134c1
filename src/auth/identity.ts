import type { AuthConfig } from "../config/config.js";
import type { RoleNames } from "../config/roles.js";
import type { ApiKeyVerifier } from "./api-key-verifier.js";
import { keycloakRolesOf, verifiedEmailOf, type KeycloakClaims } from "./claims.js";
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
    }
  | {
      kind: "service";
      keyId: string;
      serviceName: string;
      tier: string;
      /** "resource:action" strings; auth.has_permission answers from these. */
      permissions: string[];
    };

/** The credentials a request presented. */
export interface Credentials {
  /** The Authorization header: `Bearer <token>` or `ApiKey <key>`. */
  authorization?: string;
  /** The X-API-Key header. */
  apiKey?: string;
}

/** The request facts auth-db passes on to SQL next to the identity. */
export interface RequestFacts {
  ip?: string;
  userAgent?: string;
  traceparent?: string;
}

export interface IdentifyDependencies {
  verifier: TokenVerifier;
  verifyApiKey: ApiKeyVerifier;
  auth: AuthConfig;
  roles: RoleNames;
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

type Presented = { kind: "none" } | { kind: "token"; token: string } | { kind: "key"; key: string };

/** Which credential a request presents; more than one is refused as ambiguous. */
function presentedCredential(credentials: Credentials): Presented {
  let fromAuthorization: Presented = { kind: "none" };
  if (credentials.authorization !== undefined) {
    const match = /^(\S+)(?: +(.*))?$/.exec(credentials.authorization.trim());
    const scheme = match?.[1]?.toLowerCase();
    const value = match?.[2]?.trim();
    if (scheme !== "bearer" && scheme !== "apikey") {
      throw new CredentialRejected("UNSUPPORTED_SCHEME", "Authorization header must be: Bearer <token> or ApiKey <key>");
    }
    if (!value) throw new CredentialRejected("MALFORMED", `Authorization header has nothing after ${match![1]}`);
    fromAuthorization = scheme === "bearer" ? { kind: "token", token: value } : { kind: "key", key: value };
  }
  if (credentials.apiKey !== undefined) {
    if (fromAuthorization.kind !== "none") {
      throw new CredentialRejected(
        "AMBIGUOUS_CREDENTIALS",
        "both an Authorization header and an X-API-Key header were sent; send one credential",
      );
    }
    return { kind: "key", key: credentials.apiKey };
  }
  return fromAuthorization;
}

/**
 * The request's settings as an anonymous caller: what SQL sees while a
 * credential is being checked, and for requests that present none.
 */
function factSettings(facts: RequestFacts, roles: RoleNames): Record<string, string> {
  return pgSettingsFor({ kind: "anonymous" }, facts, roles);
}

/**
 * Resolves the presented credentials: none is anonymous, a token makes a
 * user, an API key a service, and anything that does not verify is refused.
 */
export async function identify(
  credentials: Credentials,
  facts: RequestFacts,
  deps: IdentifyDependencies,
): Promise<Identity> {
  const presented = presentedCredential(credentials);
  if (presented.kind === "none") return { kind: "anonymous" };
  if (presented.kind === "token") {
    const claims = await deps.verifier.verify(presented.token);
    const keycloakRoles = keycloakRolesOf(claims, deps.auth.clientId);
    return { kind: "user", claims, keycloakRoles, postgresRole: postgresRoleFor(keycloakRoles, deps.auth, deps.roles) };
  }
  const verification = await deps.verifyApiKey(presented.key, factSettings(facts, deps.roles));
  if (!verification.valid) {
    throw new CredentialRejected(
      `API_KEY_${verification.code as Exclude<typeof verification.code, "VALID">}`,
      `API key ${verification.code.toLowerCase().replace("_", " ")}`,
    );
  }
  return {
    kind: "service",
    keyId: verification.keyId!,
    serviceName: verification.serviceName!,
    tier: verification.tier!,
    permissions: verification.permissions ?? [],
  };
}

/** The W3C trace id of a valid `traceparent` header; an invalid header is ignored, as the spec asks. */
export function traceIdOf(traceparent: string | undefined): string | undefined {
  const match = /^[0-9a-f]{2}-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}$/.exec(traceparent?.trim() ?? "");
  if (!match || /^0+$/.test(match[1]!) || /^0+$/.test(match[2]!)) return undefined;
  return match[1];
}

function roleOf(identity: Identity, roles: RoleNames): string {
  switch (identity.kind) {
    case "user":
      return identity.postgresRole;
    case "service":
      return roles.service;
    default:
      return roles.anonymous;
  }
}

/**
 * What SQL sees of the request: the role to SET, the verified claims as
 * `jwt.claims.*` or the verified key as `api_key.*`, and the request facts
 * as `request.*` (read them with current_setting(name, true)).
 */
export function pgSettingsFor(identity: Identity, facts: RequestFacts, roles: RoleNames): Record<string, string> {
  const settings: Record<string, string> = { role: roleOf(identity, roles) };
  if (identity.kind === "user") {
    const { claims } = identity;
    settings["jwt.claims.sub"] = claims.sub;
    settings["jwt.claims.preferred_username"] = claims.preferred_username ?? "";
    // Only a verified email reaches SQL (see verifiedEmailOf).
    settings["jwt.claims.email"] = verifiedEmailOf(claims) ?? "";
    settings["jwt.claims.name"] = claims.name ?? "";
    settings["jwt.claims.roles"] = JSON.stringify(identity.keycloakRoles);
  } else if (identity.kind === "service") {
    settings["api_key.id"] = identity.keyId;
    settings["api_key.service_name"] = identity.serviceName;
    settings["api_key.tier"] = identity.tier;
    settings["api_key.permissions"] = JSON.stringify(identity.permissions);
  }
  if (facts.ip) settings["request.ip"] = facts.ip;
  if (facts.userAgent) settings["request.user_agent"] = facts.userAgent.slice(0, 512);
  const traceId = traceIdOf(facts.traceparent);
  if (traceId) settings["request.trace_id"] = traceId;
  return settings;
}
