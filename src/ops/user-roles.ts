import type pg from "pg";

/** Identifies a person by Keycloak username or sub. */
export interface Person {
  username?: string;
  sub?: string;
}

export interface UserWithRoles {
  id: string;
  username: string;
  keycloak_sub: string | null;
  status: string;
  roles: string[];
}

function describe(person: Person): string {
  return person.sub ? `sub ${person.sub}` : `username ${person.username}`;
}

async function findUserId(client: pg.ClientBase, person: Person): Promise<string | undefined> {
  const { rows } = person.sub
    ? await client.query<{ id: string }>("select id from auth.users where keycloak_sub = $1", [person.sub])
    : await client.query<{ id: string }>("select id from auth.users where lower(username) = lower($1)", [person.username]);
  return rows[0]?.id;
}

async function roleId(client: pg.ClientBase, roleName: string): Promise<string> {
  const { rows } = await client.query<{ id: string }>("select id from auth.roles where name = $1", [roleName]);
  if (rows[0]) return rows[0].id;
  const known = await client.query<{ name: string }>("select name from auth.roles order by name");
  throw new Error(`--role: no role named "${roleName}" (known roles: ${known.rows.map((r) => r.name).join(", ")})`);
}

/**
 * Gives a person a role, creating their profile if they have not signed in
 * yet (it is linked to their Keycloak account on first sign-in, by sub or
 * username). Runs as the schema owner: this is how the first administrator
 * is made, before anyone holds users:admin.
 */
export async function grantRole(client: pg.ClientBase, person: Person, roleName: string): Promise<string> {
  await client.query("begin");
  try {
    const role = await roleId(client, roleName);
    let userId = await findUserId(client, person);
    let created = false;
    if (!userId) {
      const { rows } = await client.query<{ id: string }>(
        "insert into auth.users (keycloak_sub, username) values ($1, $2) returning id",
        [person.sub ?? null, person.username ?? person.sub],
      );
      userId = rows[0]!.id;
      created = true;
    }
    const { rowCount } = await client.query(
      "insert into auth.user_roles (user_id, role_id) values ($1, $2) on conflict do nothing",
      [userId, role],
    );
    await client.query("commit");
    const what = rowCount === 0 ? "already held" : "granted";
    return `${roleName} ${what} for ${describe(person)}${created ? " (profile created; linked at first sign-in)" : ""}`;
  } catch (error) {
    await client.query("rollback");
    throw error;
  }
}

/** Takes a role from a person; effective on their next request. */
export async function revokeRole(client: pg.ClientBase, person: Person, roleName: string): Promise<string> {
  const userId = await findUserId(client, person);
  if (!userId) throw new Error(`no user with ${describe(person)}`);
  const role = await roleId(client, roleName);
  const { rowCount } = await client.query("delete from auth.user_roles where user_id = $1 and role_id = $2", [userId, role]);
  return rowCount === 0 ? `${describe(person)} did not hold ${roleName}` : `${roleName} revoked from ${describe(person)}`;
}

/** Users and their roles, optionally only one person. */
export async function listUsers(client: pg.ClientBase, person?: Person): Promise<UserWithRoles[]> {
  const { rows } = await client.query<UserWithRoles>(
    `select u.id, u.username, u.keycloak_sub, u.status::text,
            coalesce(array_agg(r.name order by r.name) filter (where r.name is not null), '{}') as roles
       from auth.users u
       left join auth.user_roles ur on ur.user_id = u.id
       left join auth.roles r on r.id = ur.role_id
      where ($1::text is null or lower(u.username) = lower($1))
        and ($2::text is null or u.keycloak_sub = $2)
      group by u.id
      order by lower(u.username)`,
    [person?.username ?? null, person?.sub ?? null],
  );
  return rows;
}
