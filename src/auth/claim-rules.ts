import { verifiedEmailOf, type KeycloakClaims } from "./claims.js";
import { CredentialRejected } from "./errors.js";

/*
 * The claims a profile is made of must pass auth.users' checks
 * (migrations/committed/000001-foundation.sql) or user sync fails. They are
 * checked here against the same rules first, so such a token is a 401 that
 * names the claim, not a database error carrying the failing row. Messages
 * name the claim and the rule, never the value: it is personal data.
 */

/** Characters as PostgreSQL's char_length counts them: code points, not UTF-16 units. */
function characters(value: string): number {
  let count = 0;
  for (const _ of value) count++;
  return count;
}

/**
 * Whitespace in the sense of the database's `\s`, and more: JavaScript's
 * `\s` plus U+0085 and U+180E, which some C libraries count as spaces.
 * Stricter than the database is safe; anything it still refuses becomes
 * INVALID_CLAIMS in UserSync.
 */
const WHITESPACE = /[\s\u0085\u180e]/u;

/** users.username: `^\S{1,255}$`. */
function usernameProblem(value: string): string | undefined {
  if (characters(value) > 255 || value.length === 0 || WHITESPACE.test(value) || value.includes("\0")) {
    return "expected 1 to 255 characters, no spaces";
  }
  return undefined;
}

/** users.email: `^[^@\s]+@[^@\s]+$`, at most 320 characters. */
function emailProblem(value: string): string | undefined {
  const parts = value.split("@");
  const wellFormed = parts.length === 2 && parts.every((part) => part.length > 0 && !WHITESPACE.test(part));
  if (!wellFormed || characters(value) > 320 || value.includes("\0")) return "expected an address like name@example.com, at most 320 characters";
  return undefined;
}

/** users.keycloak_sub: not empty, at most 255 characters. */
function subProblem(value: unknown): string | undefined {
  if (typeof value !== "string" || value === "" || characters(value) > 255 || value.includes("\0")) {
    return "expected 1 to 255 characters";
  }
  return undefined;
}

/** users.display_name: at most 255 characters. */
function nameProblem(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "string" || characters(value) > 255 || value.includes("\0")) return "expected text of at most 255 characters";
  return undefined;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** `{ roles?: string[] }`, as Keycloak writes realm_access and each resource_access entry. */
function roleHolderProblems(holder: unknown, claim: string): Array<[string, string]> {
  if (holder === undefined) return [];
  if (!isPlainObject(holder)) return [[claim, "expected an object"]];
  const roles = holder.roles;
  if (roles === undefined) return [];
  if (!Array.isArray(roles) || !roles.every((role) => typeof role === "string" && role !== "" && !role.includes("\0"))) {
    return [[`${claim}.roles`, "expected a list of role names"]];
  }
  return [];
}

/** The first claim the database or the role mapping could not use, with the rule it breaks. */
export function claimProblem(claims: KeycloakClaims): [claim: string, rule: string] | undefined {
  const sub = subProblem(claims.sub);
  if (sub) return ["sub", sub];

  const username = claims.preferred_username as unknown;
  if (username !== undefined && typeof username !== "string") return ["preferred_username", "expected text"];
  // An absent (or empty) preferred_username makes the sub the username.
  const usernameRule = username ? usernameProblem(username) : usernameProblem(claims.sub);
  if (usernameRule) return [username ? "preferred_username" : "sub", username ? usernameRule : `used as the username: ${usernameRule}`];

  if (claims.email_verified === true) {
    const email = claims.email as unknown;
    if (email !== undefined && typeof email !== "string") return ["email", "expected text"];
    const verified = verifiedEmailOf(claims);
    const emailRule = verified === undefined ? undefined : emailProblem(verified);
    if (emailRule) return ["email", emailRule];
  }

  const name = nameProblem(claims.name);
  if (name) return ["name", name];

  const realm = roleHolderProblems(claims.realm_access, "realm_access");
  if (realm[0]) return realm[0];
  const resources = claims.resource_access as unknown;
  if (resources !== undefined) {
    if (!isPlainObject(resources)) return ["resource_access", "expected an object"];
    for (const [client, holder] of Object.entries(resources)) {
      // The client's name goes into the message (and a header) only when it is plainly printable.
      const problems = roleHolderProblems(holder, /^[\w.-]{1,64}$/.test(client) ? `resource_access.${client}` : "resource_access");
      if (problems[0]) return problems[0];
    }
  }
  return undefined;
}

/** Refuses a token whose claims break claimProblem's rules: 401 INVALID_CLAIMS naming the claim. */
export function checkClaims(claims: KeycloakClaims): void {
  const problem = claimProblem(claims);
  if (problem) throw new CredentialRejected("INVALID_CLAIMS", `invalid claim "${problem[0]}": ${problem[1]}`);
}
