import { createKey } from "../helpers/api-keys.js";
import { graphql } from "../helpers/http.js";
import { startKeycloakTestbed, type KeycloakTestbed } from "../helpers/keycloak-service.js";
import { attempt, heldBy } from "../helpers/mutations.js";
import { personWithRoles, roleWithPermissions, type Person } from "../helpers/people.js";

// Derived credentials are bounded by their origin: a key never outlives the
// key that issued it, and never holds more than its issuer holds now.

let bed: KeycloakTestbed;
let admin: Person;
beforeAll(async () => {
  bed = await startKeycloakTestbed();
  admin = await personWithRoles(bed.db, bed.issuer, ["sys_admin"]);
});
afterAll(async () => {
  await bed?.close();
});

const inAnHour = () => new Date(Date.now() + 3_600_000);

async function expiryOf(keyId: string): Promise<Date | null> {
  const { rows } = await bed.db.asOwner((client) =>
    client.query<{ expires_at: Date | null }>("select expires_at from auth.api_keys where id = $1", [keyId]),
  );
  return rows[0]!.expires_at;
}

/** The 401 reason a request with `key` gets, or null when it is accepted. */
async function refusalOf(key: string): Promise<string | null> {
  const { status, body } = await graphql(bed.url, "{ currentUser { username } }", {}, { "x-api-key": key });
  return status === 401 ? String(body.errors?.[0]?.extensions?.reason) : null;
}

async function suspend(person: Person): Promise<void> {
  await bed.db.asOwner((client) => client.query("update auth.users set status = 'suspended' where id = $1", [person.userId]));
}

/** Rotates key `id` with no grace as the holder of `headers`; answers the new secret. */
async function rotatedBy(headers: Record<string, string>, id: string): Promise<string> {
  const { body } = await graphql<{ rotateApiKey: { result: { key: string } } }>(
    bed.url,
    "mutation ($id: UUID!) { rotateApiKey(input: { id: $id, graceSeconds: 0 }) { result { key } } }",
    { id },
    headers,
  );
  if (body.errors) throw new Error(body.errors[0]!.message);
  return body.data!.rotateApiKey.result.key;
}

async function keyIssuedBy(person: Person, permissions: string[]) {
  return createKey(bed.url, person.headers, { tier: "system", permissions });
}

test("a key issued by a key without an expiry expires with it", async () => {
  const expiresAt = inAnHour();
  const parent = await createKey(bed.url, admin.headers, { tier: "system", permissions: ["api_keys:write"], expiresAt });
  const child = await createKey(bed.url, { "x-api-key": parent.key }, { tier: "system", permissions: ["api_keys:write"] });
  expect(await expiryOf(child.id)).toEqual(await expiryOf(parent.id));
});

test("a key issued by a key cannot be given a later expiry than it", async () => {
  const parent = await createKey(bed.url, admin.headers, { tier: "system", permissions: ["api_keys:write"], expiresAt: inAnHour() });
  const later = new Date(Date.now() + 86_400_000);
  const child = await createKey(bed.url, { "x-api-key": parent.key }, { tier: "system", permissions: [], expiresAt: later });
  expect(await expiryOf(child.id)).toEqual(await expiryOf(parent.id));
});

test("a key stops working once the key that issued it has expired", async () => {
  const parent = await createKey(bed.url, admin.headers, { tier: "system", permissions: ["api_keys:write"], expiresAt: inAnHour() });
  const child = await createKey(bed.url, { "x-api-key": parent.key }, { tier: "system", permissions: [] });
  // Both expire together; moving only the parent's expiry into the past shows the child follows it at use.
  await bed.db.asOwner((client) =>
    client.query("update auth.api_keys set expires_at = now() - interval '1 second' where id = $1", [parent.id]),
  );
  expect(await refusalOf(child.key)).toBe("API_KEY_EXPIRED");
});

test("a key stops working once the key that issued it is revoked", async () => {
  const parent = await createKey(bed.url, admin.headers, { tier: "system", permissions: ["api_keys:write"] });
  const child = await createKey(bed.url, { "x-api-key": parent.key }, { tier: "system", permissions: [] });
  expect(await attempt(bed.url, admin.headers, "revokeApiKey", { id: parent.id })).toBeNull();
  expect(await refusalOf(child.key)).toBe("API_KEY_REVOKED");
});

test("a key issued by a rotated key keeps working through the replacement", async () => {
  const parent = await createKey(bed.url, admin.headers, { tier: "system", permissions: ["api_keys:write", "users:read"] });
  const child = await createKey(bed.url, { "x-api-key": parent.key }, { tier: "system", permissions: ["users:read"] });
  expect(await attempt(bed.url, admin.headers, "rotateApiKey", { id: parent.id })).toBeNull();
  expect(await refusalOf(parent.key)).toBe("API_KEY_REVOKED");
  expect(await heldBy(bed.url, { "x-api-key": child.key })).toEqual(["users:read"]);
});

test("a key issued by a user holds nothing once that user is suspended", async () => {
  const issuer = await personWithRoles(bed.db, bed.issuer, ["sys_admin"]);
  const key = await keyIssuedBy(issuer, ["users:read", "vault_secrets:admin"]);
  await suspend(issuer);
  expect(await heldBy(bed.url, { "x-api-key": key.key })).toEqual([]);
});

test("a key issued by a user loses what the user's revoked role gave", async () => {
  const issuer = await personWithRoles(bed.db, bed.issuer, ["sys_admin", "sys_auditor"]);
  const key = await keyIssuedBy(issuer, ["users:read", "vault_secrets:admin"]);
  await bed.db.asOwner((client) =>
    client.query(
      "delete from auth.user_roles where user_id = $1 and role_id = (select id from auth.roles where name = 'sys_admin')",
      [issuer.userId],
    ),
  );
  expect(await heldBy(bed.url, { "x-api-key": key.key })).toEqual(["users:read"]);
});

test("a key issued by a user holds nothing once that user is deleted", async () => {
  const issuer = await personWithRoles(bed.db, bed.issuer, ["sys_admin"]);
  const key = await keyIssuedBy(issuer, ["users:read"]);
  expect(await attempt(bed.url, admin.headers, "deleteUser", { userId: issuer.userId })).toBeNull();
  expect(await heldBy(bed.url, { "x-api-key": key.key })).toEqual([]);
});

test("a key rotated by another caller answers to that caller, not to the key's first issuer", async () => {
  const issuer = await personWithRoles(bed.db, bed.issuer, ["sys_admin"]);
  const rotator = await personWithRoles(bed.db, bed.issuer, ["sys_admin"]);
  const key = await keyIssuedBy(issuer, ["users:read"]);
  const replacement = await rotatedBy(rotator.headers, key.id);
  await suspend(issuer);
  expect(await heldBy(bed.url, { "x-api-key": replacement })).toEqual(["users:read"]);
  await suspend(rotator);
  expect(await heldBy(bed.url, { "x-api-key": replacement })).toEqual([]);
});

test("rotating an operator's key gives the caller a key bounded by the caller", async () => {
  await roleWithPermissions(bed.db, "key_minters", "system", ["api_keys:write", "monitoring:read"]);
  const mallory = await personWithRoles(bed.db, bed.issuer, ["key_minters"]);
  const operatorKey = await bed.db.asOwner(async (client) => {
    const { rows } = await client.query<{ key_id: string }>(
      "select key_id from auth._issue_api_key('operator key', 'svc', 'system', '{monitoring:read}', null)",
    );
    return rows[0]!.key_id;
  });
  const replacement = await rotatedBy(mallory.headers, operatorKey);
  await suspend(mallory);
  expect(await heldBy(bed.url, { "x-api-key": replacement })).toEqual([]);
});

test("a replacement minted by a key stops when that key is revoked", async () => {
  const minter = await createKey(bed.url, admin.headers, { tier: "system", permissions: ["api_keys:write", "users:read"] });
  const victim = await createKey(bed.url, admin.headers, { tier: "system", permissions: ["users:read"] });
  const replacement = await rotatedBy({ "x-api-key": minter.key }, victim.id);
  expect(await attempt(bed.url, admin.headers, "revokeApiKey", { id: minter.id })).toBeNull();
  expect(await refusalOf(replacement)).toBe("API_KEY_REVOKED");
});

test("a key that rotates itself keeps its issuer and outlives the key it replaces", async () => {
  const issuer = await personWithRoles(bed.db, bed.issuer, ["sys_admin"]);
  const key = await keyIssuedBy(issuer, ["api_keys:write", "users:read"]);
  const replacement = await rotatedBy({ "x-api-key": key.key }, key.id);
  expect(await refusalOf(key.key)).toBe("API_KEY_REVOKED");
  expect(await heldBy(bed.url, { "x-api-key": replacement })).toEqual(["api_keys:write", "users:read"]);
  await suspend(issuer);
  expect(await heldBy(bed.url, { "x-api-key": replacement })).toEqual([]);
});
