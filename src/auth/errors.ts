/** Why a presented credential was refused; clients get it as `extensions.reason`. */
export type RejectionReason =
  | "MALFORMED"
  | "TOKEN_TOO_LARGE"
  | "UNSUPPORTED_SCHEME"
  | "ALGORITHM_NOT_ALLOWED"
  | "UNKNOWN_KEY"
  | "BAD_SIGNATURE"
  | "TOKEN_EXPIRED"
  | "TOKEN_NOT_YET_VALID"
  | "WRONG_ISSUER"
  | "WRONG_AUDIENCE"
  | "NOT_AN_ACCESS_TOKEN"
  | "INVALID_CLAIMS"
  | "AMBIGUOUS_CREDENTIALS"
  | "API_KEY_NOT_FOUND"
  | "API_KEY_EXPIRED"
  | "API_KEY_REVOKED"
  | "API_KEY_MALFORMED";

/** A credential that was presented and is not acceptable: HTTP 401, never a silent downgrade. */
export class CredentialRejected extends Error {
  constructor(
    readonly reason: RejectionReason,
    message: string,
  ) {
    super(message);
    this.name = "CredentialRejected";
  }
}

/** The token issuer could not be asked (discovery or JWKS unreachable): HTTP 503. */
export class IssuerUnavailable extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "IssuerUnavailable";
  }
}
