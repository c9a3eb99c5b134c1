import fc from "fast-check";
import type pg from "pg";
import { createTestDatabase, type TestDatabase } from "../helpers/database.js";

/*
 * Closure and symmetry, as a property: random sequences of the
 * permission-changing operations, each run by a random principal (a user
 * through a token's settings, or a key through its verified settings) as the
 * request role, through the real SQL functions. After every step, no
 * principal (user, role, key) holds a permission it did not hold before
 * unless the actor held it, and none lost one the actor did not hold. Keys
 * are read "at use", through auth.verify_api_key.
 *
 * PROPERTY_RUNS sets the number of sequences (default 300); PROPERTY_SEED
 * replays a failure, whose seed and path fast-check prints.
 */

const RUNS = Number(process.env.PROPERTY_RUNS ?? 300);
const SEED = process.env.PROPERTY_SEED === undefined ? undefined : Number(process.env.PROPERTY_SEED);
const TIERS = ["system", "business", "service"] as const;

interface KnownKey {
  id: string;
  secret: string;
}

interface World {
  users: Array<{ id: string; sub: string; username: string }>;
  roles: string[];
  permissions: Array<{ resource: string; action: string }>;
}

interface Step {
  actor: number;
  op: (typeof OPERATIONS)[number];
  a: number;
  b: number;
  tier: number;
  picks: number[];
}

const OPERATIONS = [
  "assignRole",
  "revokeRole",
  "grantPermission",
  "revokePermission",
  "createRole",
  "deleteRole",
  "createKey",
  "rotateKey",
  "revokeKey",
  "suspendUser",
  "activateUser",
  "deleteUser",
  "insertUserRoleDirectly",
] as const;

const stepArbitrary: fc.Arbitrary<Step> = fc.record({
  // Actor 0 is person0, a sys_admin: most of what it tries goes through, so sequences reach deep states.
  actor: fc.oneof({ arbitrary: fc.constant(0), weight: 2 }, { arbitrary: fc.nat(20), weight: 3 }),
  op: fc.constantFrom(...OPERATIONS),
  a: fc.nat(50),
  b: fc.nat(50),
  tier: fc.nat(2),
  picks: fc.array(fc.nat(50), { maxLength: 3 }),
});

let db: TestDatabase;
const seededKeys: KnownKey[] = [];

beforeAll(async () => {
  db = await createTestDatabase();
  await db.asOwner(async (client) => {
    await client.query(`
      insert into auth.permissions (resource, action, tier) values
        ('reports', 'read', 'business'), ('reports', 'write', 'business'), ('reports', 'admin', 'business'),
        ('widgets', 'read', 'service'), ('widgets', 'admin', 'service');
      insert into auth.roles (name, tier) values
        ('user_admins', 'system'), ('config_writers', 'system'), ('key_issuers', 'system'),
        ('report_admins', 'business'), ('widget_readers', 'service');
      insert into auth.role_permissions (role_id, permission_id)
      select r.id, p.id from auth.roles r join auth.permissions p on (r.name, p.resource || ':' || p.action) in (
        ('user_admins', 'users:admin'), ('user_admins', 'api_keys:write'),
        ('config_writers', 'auth_config:write'), ('config_writers', 'auth_config:delete'), ('config_writers', 'reports:read'),
        ('key_issuers', 'api_keys:write'), ('key_issuers', 'users:read'), ('key_issuers', 'widgets:read'),
        ('report_admins', 'reports:admin'), ('widget_readers', 'widgets:read'));
      insert into auth.users (keycloak_sub, username) select 'sub-' || n, 'person' || n from generate_series(0, 5) as n;
      insert into auth.user_roles (user_id, role_id)
      select u.id, r.id from auth.users u join auth.roles r on (u.username, r.name) in (
        ('person0', 'sys_admin'), ('person1', 'user_admins'), ('person1', 'report_admins'),
        ('person2', 'config_writers'), ('person2', 'sys_auditor'), ('person3', 'key_issuers'),
        ('person3', 'widget_readers'), ('person4', 'sys_operator'));
    `);
    for (const [tier, permissions] of [
      ["system", ["api_keys:write", "users:admin", "reports:write"]],
      ["business", ["reports:admin"]],
      ["system", ["api_keys:write", "auth_config:write", "widgets:admin"]],
    ] as const) {
      const { rows } = await client.query<{ key_id: string; key: string }>(
        "select key_id, key from auth._issue_api_key('seeded', 'svc', $1, $2, null)",
        [tier, permissions],
      );
      seededKeys.push({ id: rows[0]!.key_id, secret: rows[0]!.key });
    }
  });
});
afterAll(async () => {
  await db?.drop();
});

/** `resource:action` strings with admin expanded, as sets are compared. */
function expand(permissions: Iterable<string>): Set<string> {
  const held = new Set<string>();
  for (const permission of permissions) {
    const [resource, action] = permission.split(":");
    for (const implied of action === "admin" ? ["read", "write", "delete", "admin"] : [action]) held.add(`${resource}:${implied}`);
  }
  return held;
}

async function readWorld(client: pg.Client): Promise<World> {
  const { rows } = await client.query<{ world: World }>(`
    select json_build_object(
      'users', (select coalesce(json_agg(json_build_object('id', id, 'sub', keycloak_sub, 'username', username) order by username), '[]') from auth.users),
      'roles', (select coalesce(json_agg(name order by name), '[]') from auth.roles),
      'permissions', (select json_agg(json_build_object('resource', resource, 'action', action) order by resource, action) from auth.permissions)
    ) as world`);
  return rows[0]!.world;
}

/** Every principal and what it holds now: users (while active), roles, and keys as verified at use. */
async function holdings(client: pg.Client, keys: KnownKey[]): Promise<Map<string, Set<string>>> {
  const { rows } = await client.query<{ principal: string; held: string[] }>(
    `select 'user ' || u.username as principal,
            coalesce(array_agg(p.resource || ':' || p.action) filter (where p.id is not null and u.status = 'active'), '{}') as held
       from auth.users u
       left join auth.user_roles ur on ur.user_id = u.id
       left join auth.role_permissions rp on rp.role_id = ur.role_id
       left join auth.permissions p on p.id = rp.permission_id
      group by u.username
     union all
     select 'role ' || r.name, coalesce(array_agg(p.resource || ':' || p.action) filter (where p.id is not null), '{}')
       from auth.roles r
       left join auth.role_permissions rp on rp.role_id = r.id
       left join auth.permissions p on p.id = rp.permission_id
      group by r.name
     union all
     select 'key ' || k.id, coalesce(array(select jsonb_array_elements_text(v.permissions)), '{}')
       from unnest($1::uuid[], $2::text[]) as k (id, secret)
       cross join lateral auth.verify_api_key(k.secret) as v`,
    [keys.map((key) => key.id), keys.map((key) => key.secret)],
  );
  return new Map(rows.map((row) => [row.principal, expand(row.held)]));
}

/** Rows breaking the tier ceiling of roles and keys: always none. */
async function tierBreaches(client: pg.Client): Promise<string[]> {
  const { rows } = await client.query<{ breach: string }>(`
    select format('role %s (%s) holds %s:%s (%s)', r.name, r.tier, p.resource, p.action, p.tier) as breach
      from auth.role_permissions rp join auth.roles r on r.id = rp.role_id join auth.permissions p on p.id = rp.permission_id
     where p.tier < r.tier
    union all
    select format('key %s (%s) holds %s (%s)', k.id, k.tier, listed, p.tier)
      from auth.api_keys k cross join jsonb_array_elements_text(k.permissions) as listed
      join auth.permissions p on p.resource || ':' || p.action = listed
     where p.tier < k.tier`);
  return rows.map((row) => row.breach);
}

type Actor = { kind: "user"; sub: string; name: string } | { kind: "key"; key: KnownKey; name: string };

/** Switches the transaction to the request role and settings the server would give this actor; false if the door refuses it. */
async function become(client: pg.Client, actor: Actor): Promise<boolean> {
  const { roles } = db.config.database;
  if (actor.kind === "user") {
    await client.query(
      `select set_config('jwt.claims.sub', $1, true), set_config('api_key.id', '', true), set_config('api_key.permissions', '', true)`,
      [actor.sub],
    );
    await client.query(`set local role ${client.escapeIdentifier(roles.user)}`);
    return true;
  }
  const { rows } = await client.query<{ valid: boolean; key_id: string; tier: string; service_name: string; permissions: string[] }>(
    "select * from auth.verify_api_key($1)",
    [actor.key.secret],
  );
  const verified = rows[0]!;
  if (!verified.valid) return false;
  await client.query(
    `select set_config('jwt.claims.sub', '', true), set_config('api_key.id', $1, true), set_config('api_key.tier', $2, true),
            set_config('api_key.service_name', $3, true), set_config('api_key.permissions', $4, true)`,
    [verified.key_id, verified.tier, verified.service_name, JSON.stringify(verified.permissions)],
  );
  await client.query(`set local role ${client.escapeIdentifier(roles.service)}`);
  return true;
}

const pick = <T>(items: readonly T[], index: number): T | undefined => (items.length ? items[index % items.length] : undefined);

/** Runs one step as the request role; answers keys it issued. Refusals are SQL errors, which the caller rolls back. */
async function perform(client: pg.Client, step: Step, world: World, keys: KnownKey[], serial: number): Promise<KnownKey[]> {
  const user = pick(world.users, step.a);
  const role = pick(world.roles, step.b);
  const permission = pick(world.permissions, step.b);
  const key = pick(keys, step.a);
  const permissionNames = step.picks.map((index) => pick(world.permissions, index)!).map((p) => `${p.resource}:${p.action}`);
  switch (step.op) {
    case "assignRole":
      await client.query("select auth.assign_role($1, $2)", [user?.id, role]);
      return [];
    case "revokeRole":
      await client.query("select auth.revoke_role($1, $2)", [user?.id, role]);
      return [];
    case "grantPermission":
      await client.query("select auth.grant_permission($1, $2, $3)", [pick(world.roles, step.a), permission?.resource, permission?.action]);
      return [];
    case "revokePermission":
      await client.query("select auth.revoke_permission($1, $2, $3)", [pick(world.roles, step.a), permission?.resource, permission?.action]);
      return [];
    case "createRole":
      await client.query("select auth.create_role($1, $2)", [`made_${serial}`, TIERS[step.tier]]);
      return [];
    case "deleteRole":
      await client.query("select auth.delete_role($1)", [role]);
      return [];
    case "createKey": {
      const { rows } = await client.query<{ key_id: string; key: string }>(
        "select key_id, key from auth.create_api_key('made', 'svc', $1, $2)",
        [TIERS[step.tier], permissionNames],
      );
      return [{ id: rows[0]!.key_id, secret: rows[0]!.key }];
    }
    case "rotateKey": {
      const { rows } = await client.query<{ key_id: string; key: string }>("select key_id, key from auth.rotate_api_key($1, 0)", [key?.id]);
      return [{ id: rows[0]!.key_id, secret: rows[0]!.key }];
    }
    case "revokeKey":
      await client.query("select auth.revoke_api_key($1)", [key?.id]);
      return [];
    case "suspendUser":
      await client.query("select auth.update_user($1, null, 'suspended')", [user?.id]);
      return [];
    case "activateUser":
      await client.query("select auth.update_user($1, null, 'active')", [user?.id]);
      return [];
    case "deleteUser":
      await client.query("select auth.delete_user($1)", [user?.id]);
      return [];
    case "insertUserRoleDirectly":
      await client.query("insert into auth.user_roles (user_id, role_id) select $1, id from auth.roles where name = $2", [user?.id, role]);
      return [];
  }
}

/** What changed for each principal that the actor did not hold: always nothing. */
function breaches(before: Map<string, Set<string>>, after: Map<string, Set<string>>, actorHeld: Set<string>): string[] {
  const found: string[] = [];
  for (const principal of new Set([...before.keys(), ...after.keys()])) {
    const was = before.get(principal) ?? new Set<string>();
    const is = after.get(principal) ?? new Set<string>();
    for (const gained of [...is].filter((p) => !was.has(p) && !actorHeld.has(p))) found.push(`${principal} gained ${gained}`);
    for (const lost of [...was].filter((p) => !is.has(p) && !actorHeld.has(p))) found.push(`${principal} lost ${lost}`);
  }
  return found;
}

test("no sequence of permission changes lets a caller give or take what it does not hold", async () => {
  await db.asRoot(async (client) => {
    await fc.assert(
      fc.asyncProperty(fc.array(stepArbitrary, { minLength: 1, maxLength: 10 }), async (steps) => {
        await client.query("begin");
        try {
          const keys = [...seededKeys];
          let before = await holdings(client, keys);
          for (const [serial, step] of steps.entries()) {
            const world = await readWorld(client);
            const actors: Actor[] = [
              ...world.users.map((u): Actor => ({ kind: "user", sub: u.sub, name: `user ${u.username}` })),
              ...keys.map((k): Actor => ({ kind: "key", key: k, name: `key ${k.id}` })),
            ];
            const actor = pick(actors, step.actor)!;
            const actorHeld = before.get(actor.name) ?? new Set<string>();
            await client.query("savepoint step");
            let issued: KnownKey[] = [];
            try {
              if (await become(client, actor)) issued = await perform(client, step, world, keys, serial);
              await client.query("release savepoint step");
            } catch (error) {
              if (!["42501", "22023", "23505", "23503", "22004", "23502", "P0002"].includes((error as { code?: string }).code ?? "")) throw error;
              await client.query("rollback to savepoint step");
            }
            await client.query("reset role");
            keys.push(...issued);
            const after = await holdings(client, keys);
            const found = [...breaches(before, after, actorHeld), ...(await tierBreaches(client))];
            if (found.length) throw new Error(`${actor.name} ran ${JSON.stringify(step)}: ${found.join("; ")}`);
            before = after;
          }
        } finally {
          await client.query("rollback");
        }
      }),
      { numRuns: RUNS, seed: SEED },
    );
  });
}, 600_000);
