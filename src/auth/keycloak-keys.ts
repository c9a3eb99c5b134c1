import { createLocalJWKSet, errors, type JWTVerifyGetKey } from "jose";
import { IssuerUnavailable } from "./errors.js";

const FETCH_TIMEOUT_MS = 5_000;
/** Keys are refetched at least this often even when every `kid` is known. */
const JWKS_MAX_AGE_MS = 10 * 60_000;

interface DiscoveryDocument {
  issuer?: unknown;
  jwks_uri?: unknown;
}

/** GETs JSON from the issuer; anything but a 200 with JSON means the issuer is unavailable. */
async function getJson(url: string | URL, what: string, redirect: "follow" | "manual"): Promise<unknown> {
  let response: Response;
  try {
    response = await fetch(url, {
      signal: AbortSignal.timeout(FETCH_TIMEOUT_MS),
      redirect,
      headers: { accept: "application/json, application/jwk-set+json" },
    });
  } catch (error) {
    throw new IssuerUnavailable(`token issuer unreachable: ${String(url)}`, { cause: error });
  }
  if (response.status !== 200) throw new IssuerUnavailable(`token issuer ${what} answered HTTP ${response.status}: ${String(url)}`);
  try {
    return await response.json();
  } catch (error) {
    throw new IssuerUnavailable(`token issuer ${what} is not JSON: ${String(url)}`, { cause: error });
  }
}

async function discover(issuer: string): Promise<URL> {
  const url = `${issuer}/.well-known/openid-configuration`;
  const document = ((await getJson(url, "discovery", "follow")) ?? {}) as DiscoveryDocument;
  if (document.issuer !== issuer) {
    throw new IssuerUnavailable(`discovery document at ${url} names issuer ${JSON.stringify(document.issuer)}`);
  }
  if (typeof document.jwks_uri !== "string" || !/^https?:\/\//.test(document.jwks_uri)) {
    throw new IssuerUnavailable(`discovery document at ${url} has no usable jwks_uri`);
  }
  return new URL(document.jwks_uri);
}

async function fetchKeySet(jwksUri: URL): Promise<JWTVerifyGetKey> {
  const json = await getJson(jwksUri, "JWKS", "manual");
  try {
    return createLocalJWKSet(json as Parameters<typeof createLocalJWKSet>[0]);
  } catch (error) {
    throw new IssuerUnavailable(`token issuer JWKS is not a key set: ${jwksUri.href}`, { cause: error });
  }
}

/**
 * The signing keys of a Keycloak realm, found through OIDC discovery and
 * cached. A token naming an unknown `kid` asks for a fetch of the JWKS, so
 * key rotation needs nothing from operators; fetches are bounded whatever
 * arrives:
 *
 * - at most one at a time: concurrent requests wait for the fetch under way;
 * - at most one start per `minIntervalMs`, successful or not: in between, an
 *   unknown `kid` is refused (UNKNOWN_KEY, or 503 while the last fetch
 *   failed) without asking Keycloak, so unknown-kid tokens, however many,
 *   cost one fetch per interval, and a key Keycloak rotates in is accepted
 *   at the latest one interval after it is first used;
 * - every JWKS_MAX_AGE_MS the keys are refreshed even when all are known.
 */
export function keycloakKeys(issuer: string, minIntervalMs: number): () => Promise<JWTVerifyGetKey> {
  let jwksUri: URL | undefined;
  let local: JWTVerifyGetKey | undefined;
  let fetchedAt = Number.NEGATIVE_INFINITY;
  let startedAt = Number.NEGATIVE_INFINITY;
  let lastFailure: unknown;
  let pending: Promise<void> | undefined;

  const load = async () => {
    startedAt = Date.now();
    try {
      jwksUri ??= await discover(issuer);
      local = await fetchKeySet(jwksUri);
      fetchedAt = Date.now();
      lastFailure = undefined;
    } catch (error) {
      lastFailure = error;
      throw error;
    }
  };

  /** Joins the fetch under way, or starts one if the interval allows; false when it does not. */
  const refresh = async (): Promise<boolean> => {
    if (!pending) {
      if (Date.now() - startedAt < minIntervalMs) return false;
      pending = load().finally(() => {
        pending = undefined;
      });
    }
    await pending;
    return true;
  };

  /** Why no key can be had right now, when the last fetch failed within the interval. */
  const unavailable = () =>
    new IssuerUnavailable("token issuer did not answer with its signing keys; retry shortly", { cause: lastFailure });

  const getKey: JWTVerifyGetKey = async (header, token) => {
    if (!local || Date.now() - fetchedAt >= JWKS_MAX_AGE_MS) {
      if (!(await refresh())) throw unavailable();
    }
    try {
      return await local!(header, token);
    } catch (error) {
      if (!(error instanceof errors.JWKSNoMatchingKey)) throw error;
      if (!(await refresh())) {
        if (lastFailure !== undefined) throw unavailable();
        throw error;
      }
      return local!(header, token);
    }
  };
  return async () => getKey;
}
