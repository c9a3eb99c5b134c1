import type pg from "pg";
import { queryWithRequestSettings } from "../db/request-transaction.js";
import type { Identity } from "./identity.js";

const MAX_ENTRIES = 10_000;
const FRESH_FOR_MS = 5 * 60_000;

/**
 * Keeps auth.users in step with Keycloak: the first request of a `sub`, and
 * the first after its username, email or name changed, creates or updates
 * the profile (auth.sync_current_user). Which claims were last synced is
 * remembered per process for a few minutes, so a steady stream of requests
 * costs no extra round trip.
 */
export class UserSync {
  private readonly synced = new Map<string, { fingerprint: string; at: number }>();

  constructor(private readonly pool: pg.Pool) {}

  async ensure(identity: Identity, settings: Record<string, string>): Promise<void> {
    if (identity.kind !== "user") return;
    const { sub, preferred_username, email, name } = identity.claims;
    const fingerprint = JSON.stringify([preferred_username, email, name]);
    const known = this.synced.get(sub);
    const now = Date.now();
    if (known && known.fingerprint === fingerprint && now - known.at < FRESH_FOR_MS) return;

    await queryWithRequestSettings(this.pool, settings, { text: "select auth.sync_current_user()" });
    this.synced.delete(sub);
    this.synced.set(sub, { fingerprint, at: now });
    if (this.synced.size > MAX_ENTRIES) {
      // Maps keep insertion order: the first key is the least recently synced.
      this.synced.delete(this.synced.keys().next().value!);
    }
  }
}
