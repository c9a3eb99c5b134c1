import { graphql } from "./http.js";

export interface IssuedKey {
  id: string;
  key: string;
  keyPrefix: string;
  permissions: string[];
}

export interface Verification {
  valid: boolean;
  code: string;
  keyId: string | null;
  serviceName: string | null;
  tier: string | null;
  permissions: string[] | null;
}

const CREATE = `mutation ($name: String!, $serviceName: String!, $tier: Tier, $permissions: [String], $expiresAt: Datetime) {
  createApiKey(input: { name: $name, serviceName: $serviceName, tier: $tier, permissions: $permissions, expiresAt: $expiresAt }) {
    result { id: keyId key keyPrefix permissions }
  }
}`;

/** Issues a key through GraphQL as the holder of `headers`; throws with the GraphQL error message on refusal. */
export async function createKey(
  url: string,
  headers: Record<string, string>,
  options: { permissions?: string[]; tier?: string; expiresAt?: Date; name?: string } = {},
): Promise<IssuedKey> {
  const { body } = await graphql<{ createApiKey: { result: IssuedKey } }>(
    url,
    CREATE,
    {
      name: options.name ?? "test key",
      serviceName: "billing",
      tier: options.tier ?? "service",
      permissions: options.permissions ?? [],
      expiresAt: options.expiresAt?.toISOString() ?? null,
    },
    headers,
  );
  if (body.errors) throw new Error(body.errors[0]!.message);
  return body.data!.createApiKey.result;
}

/** Asks auth-db, as a gateway would (with `credentials` of its own: a token or a key), whether `key` is valid. */
export async function verifyKey(url: string, key: string, credentials: Record<string, string>): Promise<Verification> {
  const { body } = await graphql<{ verifyApiKey: { result: Verification } }>(
    url,
    "mutation ($key: String!) { verifyApiKey(input: { key: $key }) { result { valid code keyId serviceName tier permissions } } }",
    { key },
    credentials,
  );
  if (body.errors) throw new Error(body.errors[0]!.message);
  return body.data!.verifyApiKey.result;
}
