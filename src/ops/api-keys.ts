import type pg from "pg";

/** A key as operators see it: never the hash. */
export interface ApiKeySummary {
  id: string;
  name: string;
  key_prefix: string;
  service_name: string;
  tier: string;
  permissions: string[];
  expires_at: Date | null;
  last_used_at: Date | null;
  is_active: boolean;
  revoked_at: Date | null;
}

export interface IssuedKey {
  id: string;
  key: string;
  key_prefix: string;
}

export interface NewKey {
  name: string;
  serviceName: string;
  tier: string;
  permissions: string[];
  expiresAt?: Date;
}

/*
 * Operators run as the schema owner, before anyone may hold api_keys:write:
 * these call the same SQL as the GraphQL mutations, minus the caller's
 * permission checks. Validation (catalogue, tier ceiling, expiry) is SQL's.
 */

export async function issueKey(client: pg.ClientBase, key: NewKey): Promise<IssuedKey> {
  const { rows } = await client.query<IssuedKey>(
    "select key_id as id, key, key_prefix from auth._issue_api_key($1, $2, $3, $4, $5)",
    [key.name, key.serviceName, key.tier, key.permissions, key.expiresAt ?? null],
  );
  return rows[0]!;
}

export async function listKeys(client: pg.ClientBase): Promise<ApiKeySummary[]> {
  const { rows } = await client.query<ApiKeySummary>(
    `select id, name, key_prefix, service_name, tier::text, permissions, expires_at, last_used_at, is_active, revoked_at
       from auth.api_keys order by created_at`,
  );
  return rows;
}

export async function revokeKey(client: pg.ClientBase, id: string): Promise<void> {
  await client.query("select auth._revoke_api_key($1)", [id]);
}

export async function rotateKey(client: pg.ClientBase, id: string, graceSeconds: number): Promise<IssuedKey> {
  const { rows } = await client.query<IssuedKey>(
    "select key_id as id, key, key_prefix from auth._rotate_api_key($1, $2)",
    [id, graceSeconds],
  );
  return rows[0]!;
}
