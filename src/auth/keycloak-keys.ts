import { createRemoteJWKSet, type JWTVerifyGetKey } from "jose";
import { IssuerUnavailable } from "./errors.js";

const FETCH_TIMEOUT_MS = 5_000;
/** Keys are refetched at least this often even when every `kid` is known. */
const JWKS_MAX_AGE_MS = 10 * 60_000;

interface DiscoveryDocument {
  issuer?: unknown;
  jwks_uri?: unknown;
}

async function discover(issuer: string): Promise<URL> {
  const url = `${issuer}/.well-known/openid-configuration`;
  let response: Response;
  try {
    response = await fetch(url, { signal: AbortSignal.timeout(FETCH_TIMEOUT_MS), headers: { accept: "application/json" } });
  } catch (error) {
    throw new IssuerUnavailable(`token issuer unreachable: ${url}`, { cause: error });
  }
  if (!response.ok) {
    throw new IssuerUnavailable(`token issuer discovery answered HTTP ${response.status}: ${url}`);
  }
  const document = (await response.json().catch(() => ({}))) as DiscoveryDocument;
  if (document.issuer !== issuer) {
    throw new IssuerUnavailable(`discovery document at ${url} names issuer ${JSON.stringify(document.issuer)}`);
  }
  if (typeof document.jwks_uri !== "string" || !/^https?:\/\//.test(document.jwks_uri)) {
    throw new IssuerUnavailable(`discovery document at ${url} has no usable jwks_uri`);
  }
  return new URL(document.jwks_uri);
}

/**
 * The signing keys of a Keycloak realm, found through OIDC discovery and
 * cached. A token with an unknown `kid` makes jose fetch the JWKS again, at
 * most once per cooldown, so key rotation needs nothing from operators. A
 * failed discovery is retried on the next request.
 */
export function keycloakKeys(issuer: string, cooldownMs: number): () => Promise<JWTVerifyGetKey> {
  let keys: Promise<JWTVerifyGetKey> | undefined;
  return () => {
    keys ??= discover(issuer).then(
      (jwksUri) =>
        createRemoteJWKSet(jwksUri, {
          cooldownDuration: cooldownMs,
          cacheMaxAge: JWKS_MAX_AGE_MS,
          timeoutDuration: FETCH_TIMEOUT_MS,
        }),
      (error: unknown) => {
        keys = undefined;
        throw error;
      },
    );
    return keys;
  };
}
