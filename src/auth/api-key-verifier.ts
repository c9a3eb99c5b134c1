import type pg from "pg";
import { queryWithRequestSettings } from "../db/request-transaction.js";
import { API_KEY_REJECTION_SUMMARISED, apiKeyRejection } from "../security/api-key-rejection.js";
import type { SecurityEventQueue } from "../security/event-queue.js";

/** What auth.verify_api_key answers. */
export interface ApiKeyVerification {
  valid: boolean;
  code: "VALID" | "NOT_FOUND" | "EXPIRED" | "REVOKED" | "MALFORMED";
  keyId: string | null;
  serviceName: string | null;
  tier: string | null;
  permissions: string[] | null;
}

export type ApiKeyVerifier = (key: string, settings: Record<string, string>) => Promise<ApiKeyVerification>;

/**
 * Verifies keys with auth.verify_api_key, in a transaction carrying the
 * request's settings. The decision is SQL's; nothing about keys is cached
 * here, so a revocation counts on the very next request. A failure is
 * queued as an API_KEY_REJECTED security event (coalesced per address, with
 * the request's ip and user agent, the keys' prefixes and codes summarised).
 */
export function apiKeyVerifier(pool: pg.Pool, securityEvents: SecurityEventQueue): ApiKeyVerifier {
  return async (key, settings) => {
    const { rows } = await queryWithRequestSettings<{
      valid: boolean;
      code: ApiKeyVerification["code"];
      key_id: string | null;
      service_name: string | null;
      tier: string | null;
      permissions: string[] | null;
    }>(pool, settings, { text: "select * from auth.verify_api_key($1)", values: [key] });
    const row = rows[0]!;
    if (!row.valid) {
      securityEvents.recordRepeated(
        apiKeyRejection(row.code, key, { ip: settings["request.ip"], userAgent: settings["request.user_agent"] }),
        API_KEY_REJECTION_SUMMARISED,
      );
    }
    return {
      valid: row.valid,
      code: row.code,
      keyId: row.key_id,
      serviceName: row.service_name,
      tier: row.tier,
      permissions: row.permissions,
    };
  };
}
