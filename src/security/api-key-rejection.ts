import type { SecurityEvent } from "./event-queue.js";

/** The first 10 characters of a presented key, printable ASCII only: enough to recognise it, never the key. */
export function keyPrefixOf(key: string): string {
  return key.slice(0, 10).replace(/[^\x21-\x7e]/g, "?");
}

/** The fields of an API_KEY_REJECTED event that the caller chooses: summarised, never part of its grouping. */
export const API_KEY_REJECTION_SUMMARISED = ["code", "key_prefix"] as const;

/**
 * The API_KEY_REJECTED security event of a failed verification, with the
 * key's prefix and the verification's code, never the key. Both paths that
 * verify keys (X-API-Key on a request, the verifyApiKey mutation) queue it
 * with SecurityEventQueue.recordRepeated and API_KEY_REJECTION_SUMMARISED,
 * so the failures of one caller and address come to one event per window,
 * with a count and a bounded summary of prefixes and codes, whatever keys
 * were sent.
 */
export function apiKeyRejection(
  code: string,
  key: string,
  request: { ip?: string; userAgent?: string; userId?: string; userName?: string },
): SecurityEvent {
  return {
    type: "API_KEY_REJECTED",
    description: `API key verification failed: ${code}`,
    ip_address: request.ip,
    user_agent: request.userAgent,
    user_id: request.userId,
    user_name: request.userName,
    detail: { code, key_prefix: keyPrefixOf(key) },
  };
}
