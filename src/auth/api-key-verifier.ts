import type pg from "pg";
import { queryWithRequestSettings } from "../db/request-transaction.js";

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
 * request's settings so that a failure is recorded with its ip and user
 * agent. The decision is SQL's; nothing about keys is cached here, so a
 * revocation counts on the very next request.
 */
export function apiKeyVerifier(pool: pg.Pool): ApiKeyVerifier {
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
