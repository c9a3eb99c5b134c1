import { newEnforcer, newModelFromString, StringAdapter, type Enforcer } from "casbin";
import pg from "pg";

/*
 * auth-db's RBAC rules as a casbin model: a user (Keycloak sub) has roles,
 * a role grants (resource, action), and `admin` on a resource implies every
 * action on it. Suspended and inactive users get no role lines at all.
 */
const MODEL = `
[request_definition]
r = sub, obj, act

[policy_definition]
p = sub, obj, act

[role_definition]
g = _, _

[policy_effect]
e = some(where (p.eft == allow))

[matchers]
m = g(r.sub, p.sub) && r.obj == p.obj && (r.act == p.act || p.act == "admin")
`;

/** Reads the matrix once, as the owner (who sees every row), into casbin policy lines. */
async function policyLines(ownerUrl: string): Promise<string[]> {
  const client = new pg.Client({ connectionString: ownerUrl });
  await client.connect();
  try {
    const grants = await client.query<{ role: string; resource: string; action: string }>(
      `select r.name as role, p.resource, p.action::text
         from auth.role_permissions rp
         join auth.roles r on r.id = rp.role_id
         join auth.permissions p on p.id = rp.permission_id`,
    );
    const assignments = await client.query<{ sub: string; role: string }>(
      `select u.keycloak_sub as sub, r.name as role
         from auth.user_roles ur
         join auth.users u on u.id = ur.user_id
         join auth.roles r on r.id = ur.role_id
        where u.status = 'active' and u.keycloak_sub is not null`,
    );
    return [
      ...grants.rows.map((row) => `p, ${row.role}, ${row.resource}, ${row.action}`),
      ...assignments.rows.map((row) => `g, ${row.sub}, ${row.role}`),
    ];
  } finally {
    await client.end();
  }
}

export async function loadEnforcer(ownerUrl: string): Promise<{ enforcer: Enforcer; lines: number }> {
  const lines = await policyLines(ownerUrl);
  const enforcer = await newEnforcer(newModelFromString(MODEL), new StringAdapter(lines.join("\n")));
  return { enforcer, lines: lines.length };
}
