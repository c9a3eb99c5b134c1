import type { JWTPayload } from "jose";

/** The parts of a Keycloak access token that auth-db reads (see shared/keycloak). */
export interface KeycloakClaims extends JWTPayload {
  sub: string;
  typ?: string;
  azp?: string;
  preferred_username?: string;
  email?: string;
  email_verified?: boolean;
  name?: string;
  realm_access?: { roles?: string[] };
  resource_access?: Record<string, { roles?: string[] } | undefined>;
}

/** Realm roles plus the roles of `clientId` in resource_access, without duplicates. */
export function keycloakRolesOf(claims: KeycloakClaims, clientId: string): string[] {
  const realm = claims.realm_access?.roles ?? [];
  const client = claims.resource_access?.[clientId]?.roles ?? [];
  return [...new Set([...realm, ...client].filter((role) => typeof role === "string"))];
}

/**
 * The token's email when Keycloak says it is verified (`email_verified:
 * true`), else nothing: an unverified address is whatever the person typed,
 * so it is neither stored nor used to link a profile.
 */
export function verifiedEmailOf(claims: KeycloakClaims): string | undefined {
  return claims.email_verified === true && typeof claims.email === "string" && claims.email !== "" ? claims.email : undefined;
}
