import { randomUUID } from "node:crypto";
import type { TestDatabase } from "./database.js";
import type { TestIssuer, TokenOptions } from "./test-issuer.js";

export interface Person {
  sub: string;
  username: string;
  userId: string;
  /** A valid access token for this person. */
  token: string;
  /** Authorization header for this person. */
  headers: Record<string, string>;
}

/**
 * A signed-in person holding `roles`, set up directly in the database as the
 * owner (the way an operator's `npm run user -- grant` would).
 */
export async function personWithRoles(
  db: TestDatabase,
  issuer: TestIssuer,
  roles: string[],
  options: TokenOptions & { status?: string } = {},
): Promise<Person> {
  const sub = options.sub ?? randomUUID();
  const username = options.username ?? `person-${sub.slice(0, 8)}`;
  const userId = await db.asOwner(async (client) => {
    const { rows } = await client.query<{ id: string }>(
      "insert into auth.users (keycloak_sub, username, email, status) values ($1, $2, $3, $4) returning id",
      [sub, username, options.email ?? `${username}@example.com`, options.status ?? "active"],
    );
    const id = rows[0]!.id;
    await client.query(
      "insert into auth.user_roles (user_id, role_id) select $1, id from auth.roles where name = any($2)",
      [id, roles],
    );
    return id;
  });
  const token = await issuer.token({ ...options, sub, username });
  return { sub, username, userId, token, headers: { authorization: `Bearer ${token}` } };
}

/** A role holding exactly `permissions` ("resource:action"), created as the owner. */
export async function roleWithPermissions(db: TestDatabase, name: string, tier: string, permissions: string[]): Promise<void> {
  await db.asOwner(async (client) => {
    await client.query("insert into auth.roles (name, tier) values ($1, $2)", [name, tier]);
    await client.query(
      `insert into auth.role_permissions (role_id, permission_id)
       select r.id, p.id from auth.roles r, auth.permissions p
        where r.name = $1 and p.resource || ':' || p.action = any($2)`,
      [name, permissions],
    );
  });
}
