import pg from "pg";
import type { TestDatabase } from "../../test/helpers/database.js";
import { personWithRoles, type Person } from "../../test/helpers/people.js";
import type { TestIssuer } from "../../test/helpers/test-issuer.js";
import { fillApiKeys, issueBenchKey } from "./api-keys.js";

const { escapeIdentifier: ident } = pg;

/** The Keycloak realm role that the benchmark's auth-db maps to the RLS-bypassing role. */
export const BYPASS_REALM_ROLE = "bench_rls_bypass";

export const LISTED_USERS = 10_000;

export interface Fixtures {
  /** Holds sys_auditor, so users:read (and reads every profile under RLS). */
  reader: Person;
  /** The same person's token with the realm role that maps to `bypassRole`. */
  readerBypassingRls: Person;
  /** A Postgres role with BYPASSRLS and exactly the grants a listing needs. */
  bypassRole: string;
  userCount: number;
  /** An API key holding users:read, among API_KEYS_AT_START keys. */
  serviceKey: string;
}

/** The small end of the API key comparison; the scenario grows the table from here. */
export const API_KEYS_AT_START = 1_000;

/** Tokens outlive the longest run (issuer default is 5 minutes). */
const TOKEN_LIFETIME_SECONDS = 3 * 3600;

/*
 * Compares RLS with no RLS on the same GraphQL path: a role that bypasses
 * RLS and may read auth.users, reachable through KEYCLOAK_ROLE_MAPPING. The
 * owner would also skip RLS, but letting the authenticator become the owner
 * would hand requests DDL rights even in a throwaway database.
 */
async function createBypassRole(db: TestDatabase): Promise<string> {
  const { roles } = db.config.database;
  const name = `${roles.prefix}_bench_bypass`;
  await db.asRoot(async (client) => {
    await client.query(`create role ${ident(name)} nologin bypassrls`);
    await client.query(`grant usage on schema auth to ${ident(name)}`);
    await client.query(`grant select on auth.users to ${ident(name)}`);
    await client.query(`grant execute on function auth.sync_current_user() to ${ident(name)}`);
    await client.query(`grant ${ident(name)} to ${ident(roles.authenticator)}`);
  });
  return name;
}

/**
 * `count` more profiles; every third holds one of the seeded roles, so
 * user_roles is not trivially small for the permission look-ups.
 */
async function seedUsers(db: TestDatabase, count: number): Promise<void> {
  await db.asOwner(async (client) => {
    await client.query(
      `insert into auth.users (keycloak_sub, username, email, status)
       select 'bench-' || i, 'bench_user_' || i, 'bench_user_' || i || '@example.com', 'active'
         from generate_series(1, $1::int) as i`,
      [count],
    );
    await client.query(
      `insert into auth.user_roles (user_id, role_id)
       select u.id, r.id
         from auth.users u
         join auth.roles r on r.name = ($1::text[])[1 + (substr(u.keycloak_sub, 7)::int / 3) % 3]
        where u.keycloak_sub like 'bench-%' and substr(u.keycloak_sub, 7)::int % 3 = 0`,
      [["sys_admin", "sys_operator", "sys_auditor"]],
    );
    await client.query("analyze auth.users, auth.user_roles, auth.role_permissions, auth.permissions, auth.roles");
  });
}

/** The people and data every scenario shares: same data for every target. */
export async function seedFixtures(db: TestDatabase, issuer: TestIssuer): Promise<Fixtures> {
  const reader = await personWithRoles(db, issuer, ["sys_auditor"], {
    username: "bench_reader",
    expiresIn: TOKEN_LIFETIME_SECONDS,
  });
  const bypassToken = await issuer.token({
    sub: reader.sub,
    username: reader.username,
    realmRoles: [BYPASS_REALM_ROLE],
    expiresIn: TOKEN_LIFETIME_SECONDS,
  });
  const readerBypassingRls: Person = { ...reader, token: bypassToken, headers: { authorization: `Bearer ${bypassToken}` } };
  const bypassRole = await createBypassRole(db);
  const existing = await db.asOwner(async (client) => {
    const { rows } = await client.query<{ n: number }>("select count(*)::int as n from auth.users");
    return rows[0]!.n;
  });
  await seedUsers(db, LISTED_USERS - existing);
  const serviceKey = await issueBenchKey(db);
  await fillApiKeys(db, API_KEYS_AT_START);
  return { reader, readerBypassingRls, bypassRole, userCount: LISTED_USERS, serviceKey };
}
