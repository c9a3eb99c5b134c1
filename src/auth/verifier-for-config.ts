import type { IssuerConfig } from "../config/config.js";
import { DEV_ISSUER, devIssuerKeys } from "./dev-issuer.js";
import { keycloakKeys } from "./keycloak-keys.js";
import { createTokenVerifier, type TokenVerifier } from "./token-verifier.js";

/** The token verifier for the configured issuer: Keycloak, or the development issuer. */
export function verifierFor(issuer: IssuerConfig): TokenVerifier {
  if (issuer.kind === "keycloak") {
    return createTokenVerifier({
      issuer: issuer.url,
      audience: issuer.audience,
      clockToleranceSeconds: issuer.clockToleranceSeconds,
      keys: keycloakKeys(issuer.url, issuer.jwksCooldownMs),
    });
  }
  return createTokenVerifier({
    issuer: DEV_ISSUER,
    clockToleranceSeconds: issuer.clockToleranceSeconds,
    keys: devIssuerKeys(issuer.keyFile),
  });
}
