import { errors, jwtVerify, type JWTVerifyGetKey } from "jose";
import { checkClaims } from "./claim-rules.js";
import type { KeycloakClaims } from "./claims.js";
import { CredentialRejected, IssuerUnavailable } from "./errors.js";

/** Asymmetric signatures only: never `none`, never an HMAC keyed with a public key. */
export const ALLOWED_ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"];

/**
 * Larger tokens are refused before any parsing. Keycloak tokens are a few
 * KiB; Node refuses header sections over 16 KiB before we see them.
 */
export const MAX_TOKEN_LENGTH = 12 * 1024;

export interface TokenVerifierOptions {
  issuer: string;
  audience?: string;
  clockToleranceSeconds: number;
  /** Where signing keys come from: the issuer's JWKS, or a local key in development. */
  keys: () => Promise<JWTVerifyGetKey>;
}

export interface TokenVerifier {
  /** The verified claims, or CredentialRejected / IssuerUnavailable. */
  verify(token: string): Promise<KeycloakClaims>;
}

function rejectionFor(error: unknown): CredentialRejected | IssuerUnavailable {
  if (error instanceof errors.JWTExpired) {
    return new CredentialRejected("TOKEN_EXPIRED", "token expired");
  }
  if (error instanceof errors.JWTClaimValidationFailed) {
    switch (error.claim) {
      case "nbf":
        return new CredentialRejected("TOKEN_NOT_YET_VALID", "token not yet valid (nbf)");
      case "iat":
        return new CredentialRejected("TOKEN_NOT_YET_VALID", "token issued in the future (iat)");
      case "iss":
        return new CredentialRejected("WRONG_ISSUER", "token from the wrong issuer");
      case "aud":
        return new CredentialRejected("WRONG_AUDIENCE", "token not meant for this audience");
      default:
        return new CredentialRejected("INVALID_CLAIMS", `invalid claim "${error.claim}": ${error.message}`);
    }
  }
  if (error instanceof errors.JOSEAlgNotAllowed) {
    return new CredentialRejected("ALGORITHM_NOT_ALLOWED", "signature algorithm not allowed");
  }
  if (error instanceof errors.JWKSNoMatchingKey || error instanceof errors.JWKSMultipleMatchingKeys) {
    return new CredentialRejected("UNKNOWN_KEY", "token signed with a key the issuer does not publish");
  }
  if (error instanceof errors.JWSSignatureVerificationFailed) {
    return new CredentialRejected("BAD_SIGNATURE", "token signature does not verify");
  }
  if (error instanceof IssuerUnavailable) return error;
  if (
    error instanceof errors.JWKSTimeout ||
    error instanceof errors.JWKSInvalid ||
    (error instanceof errors.JOSEError && error.code === "ERR_JOSE_GENERIC")
  ) {
    // jose's own errors while fetching the JWKS: timeout, non-200, not a key set.
    return new IssuerUnavailable("token issuer did not answer with its signing keys", { cause: error });
  }
  if (error instanceof errors.JOSEError) {
    return new CredentialRejected("MALFORMED", "malformed token");
  }
  // Anything else comes from fetching keys (network failure, bad JWKS response).
  return new IssuerUnavailable("token issuer unreachable", { cause: error });
}

const CACHE_ENTRIES = 10_000;

/**
 * Whether a verified token is an access token: Keycloak's `typ` claim
 * `Bearer`, or (RFC 9068) no `typ` claim and the JOSE header `typ`
 * `at+jwt`. ID tokens (`typ` ID, or no typ at all from other OpenID
 * providers) and refresh tokens are not, even when their `aud` matches.
 */
function isAccessToken(claimTyp: unknown, headerTyp: unknown): boolean {
  if (claimTyp !== undefined) return claimTyp === "Bearer";
  return typeof headerTyp === "string" && /^(application\/)?at\+jwt$/i.test(headerTyp);
}

/**
 * Verifies a bearer token as a Keycloak access token: signature with an
 * allowed asymmetric algorithm and a key of the issuer, `iss`, `exp`/`nbf`
 * within the clock tolerance, `aud` when configured, that it is an access
 * token (isAccessToken), and that its claims are usable (checkClaims).
 * A token that verified is remembered until it expires, so a client sending
 * the same token again costs no second signature check.
 */
export function createTokenVerifier(options: TokenVerifierOptions): TokenVerifier {
  const verified = new Map<string, KeycloakClaims>();
  const remember = (token: string, claims: KeycloakClaims) => {
    if (verified.size >= CACHE_ENTRIES) verified.delete(verified.keys().next().value!);
    verified.set(token, claims);
  };
  return {
    async verify(token) {
      if (token.length > MAX_TOKEN_LENGTH) {
        throw new CredentialRejected("TOKEN_TOO_LARGE", `token longer than ${MAX_TOKEN_LENGTH} characters`);
      }
      const known = verified.get(token);
      if (known) {
        if (known.exp! + options.clockToleranceSeconds > Date.now() / 1000) return known;
        verified.delete(token);
      }
      let claims: KeycloakClaims;
      let headerTyp: unknown;
      try {
        const keys = await options.keys();
        const result = await jwtVerify<KeycloakClaims>(token, keys, {
          issuer: options.issuer,
          audience: options.audience,
          algorithms: ALLOWED_ALGORITHMS,
          clockTolerance: options.clockToleranceSeconds,
          requiredClaims: ["sub", "exp"],
        });
        claims = result.payload;
        headerTyp = result.protectedHeader.typ;
      } catch (error) {
        throw rejectionFor(error);
      }
      if (!isAccessToken(claims.typ, headerTyp)) {
        throw new CredentialRejected(
          "NOT_AN_ACCESS_TOKEN",
          'not an access token: expected the typ claim "Bearer" or the header typ "at+jwt" (ID and refresh tokens are refused)',
        );
      }
      checkClaims(claims);
      remember(token, claims);
      return claims;
    },
  };
}
