import { randomBytes } from "node:crypto";
import { createKey, type IssuedKey } from "../helpers/api-keys.js";
import { graphql } from "../helpers/http.js";
import { startKeycloakTestbed, type KeycloakTestbed } from "../helpers/keycloak-service.js";
import { personWithRoles } from "../helpers/people.js";

// Clients are told apart by X-Forwarded-For, which TRUST_PROXY makes auth-db believe.
let bed: KeycloakTestbed;
let victim: IssuedKey;
beforeAll(async () => {
  bed = await startKeycloakTestbed({ AUTH_FAILURES_PER_MINUTE: "5", TRUST_PROXY: "true" });
  const admin = await personWithRoles(bed.db, bed.issuer, ["sys_admin"]);
  victim = await createKey(bed.url, { ...admin.headers, "x-forwarded-for": "192.0.2.1" });
});
afterAll(async () => {
  await bed?.close();
});

/** A well-formed key that matches no issued key, starting with `prefix`. */
function unknownKeyStartingWith(prefix: string): string {
  const key = `adb_${randomBytes(32).toString("base64url")}`;
  return prefix + key.slice(prefix.length);
}

async function statusWithKey(key: string, address: string): Promise<number> {
  return (await graphql(bed.url, "{ __typename }", {}, { "x-api-key": key, "x-forwarded-for": address })).status;
}

test("bad keys sharing a valid key's public prefix do not lock that key out for other addresses", async () => {
  const attacker = "203.0.113.7";
  const statuses: number[] = [];
  for (let i = 0; i < 7; i++) statuses.push(await statusWithKey(unknownKeyStartingWith(victim.keyPrefix), attacker));
  expect(statuses).toEqual([401, 401, 401, 401, 401, 429, 429]);
  expect(await statusWithKey(victim.key, "198.51.100.9")).toBe(200);
});

test("bad keys from one address are throttled at that address, whatever their prefixes", async () => {
  const address = "203.0.113.8";
  const statuses: number[] = [];
  for (let i = 0; i < 7; i++) statuses.push(await statusWithKey(unknownKeyStartingWith(""), address));
  expect(statuses).toEqual([401, 401, 401, 401, 401, 429, 429]);
  expect(await statusWithKey(victim.key, address)).toBe(429);
});

test("bad tokens from one address do not throttle another address", async () => {
  const address = "203.0.113.9";
  for (let i = 0; i < 6; i++) await graphql(bed.url, "{ __typename }", {}, { authorization: "Bearer not-a-token", "x-forwarded-for": address });
  const other = await graphql(bed.url, "{ __typename }", {}, { authorization: `Bearer ${await bed.issuer.token()}`, "x-forwarded-for": "198.51.100.10" });
  expect(other.status).toBe(200);
});

test("bad keys from rotating IPv6 addresses of one /64 are throttled together", async () => {
  const statuses: number[] = [];
  for (let i = 1; i <= 7; i++) statuses.push(await statusWithKey(unknownKeyStartingWith(""), `2001:db8:aa:bb::${i.toString(16)}`));
  expect(statuses).toEqual([401, 401, 401, 401, 401, 429, 429]);
  expect(await statusWithKey(victim.key, "2001:db8:aa:bc::1")).toBe(200);
});
