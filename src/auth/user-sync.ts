import type pg from "pg";
import { queryWithRequestSettings } from "../db/request-transaction.js";
import { verifiedEmailOf } from "./claims.js";
import { CredentialRejected } from "./errors.js";
import type { Identity } from "./identity.js";

const MAX_ENTRIES = 10_000;
const FRESH_FOR_MS = 5 * 60_000;

/** Which claim each of auth.users' checks guards (PostgreSQL's names for column checks). */
const CLAIM_OF_CONSTRAINT: Record<string, string> = {
  users_keycloak_sub_check: "sub",
  users_username_check: "preferred_username",
  users_email_check: "email",
  users_display_name_check: "name",
};

/** SQLSTATEs of values the profile cannot hold: check and not-null violations, too long, bad characters. */
const REFUSED_VALUE = new Set(["23514", "23502", "22001", "22021", "22P05"]);

/**
 * A value the database refused while syncing the profile is the token's
 * fault: 401 INVALID_CLAIMS naming the claim, never a 500 whose log would
 * carry the failing row (personal data). claim-rules checks first, so this
 * only catches what those rules missed.
 */
function asClaimRejection(error: unknown): unknown {
  const { code, constraint } = error as { code?: unknown; constraint?: unknown };
  if (typeof code !== "string" || !REFUSED_VALUE.has(code)) return error;
  const claim = typeof constraint === "string" ? CLAIM_OF_CONSTRAINT[constraint] : undefined;
  return new CredentialRejected(
    "INVALID_CLAIMS",
    claim ? `invalid claim "${claim}": the user profile cannot hold it` : "invalid claims: the user profile cannot hold them",
  );
}

/**
 * Keeps auth.users in step with Keycloak: the first request of a `sub`, and
 * the first after its username, verified email or name changed, creates or
 * updates the profile (auth.sync_current_user). Which claims were last
 * synced is remembered per process for a few minutes, so a steady stream of
 * requests costs no extra round trip.
 */
export class UserSync {
  private readonly synced = new Map<string, { fingerprint: string; at: number }>();

  constructor(private readonly pool: pg.Pool) {}

  async ensure(identity: Identity, settings: Record<string, string>): Promise<void> {
    if (identity.kind !== "user") return;
    const { sub, preferred_username, name } = identity.claims;
    const fingerprint = JSON.stringify([preferred_username, verifiedEmailOf(identity.claims), name]);
    const known = this.synced.get(sub);
    const now = Date.now();
    if (known && known.fingerprint === fingerprint && now - known.at < FRESH_FOR_MS) return;

    try {
      await queryWithRequestSettings(this.pool, settings, { text: "select auth.sync_current_user()" });
    } catch (error) {
      throw asClaimRejection(error);
    }
    this.synced.delete(sub);
    this.synced.set(sub, { fingerprint, at: now });
    if (this.synced.size > MAX_ENTRIES) {
      // Maps keep insertion order: the first key is the least recently synced.
      this.synced.delete(this.synced.keys().next().value!);
    }
  }
}
