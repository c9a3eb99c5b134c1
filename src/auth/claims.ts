import type { JWTPayload } from "jose";

/** The parts of a Keycloak access token that auth-db reads (see shared/keycloak). */
export interface KeycloakClaims extends JWTPayload {
  sub: string;
  typ?: string;
  azp?: string;
  preferred_username?: string;
  email?: string;
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
