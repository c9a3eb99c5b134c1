import type pg from "pg";
import { ConfigError, type AuthConfig } from "../config/config.js";

/**
 * Refuses to start when KEYCLOAK_ROLE_MAPPING names a Postgres role the
 * authenticator cannot switch to, rather than failing every request of the
 * users it would lift.
 */
export async function checkRoleMapping(pool: pg.Pool, mapping: AuthConfig["roleMapping"]): Promise<void> {
  if (mapping.length === 0) return;
  const targets = [...new Set(mapping.map((entry) => entry.postgresRole))];
  const { rows } = await pool.query<{ role: string; usable: boolean }>(
    `select t.role,
            coalesce((select pg_has_role(current_user, r.oid, 'MEMBER') from pg_roles r where r.rolname = t.role), false) as usable
       from unnest($1::text[]) as t(role)`,
    [targets],
  );
  const problems = rows
    .filter((row) => !row.usable)
    .map((row) => `KEYCLOAK_ROLE_MAPPING: the server cannot switch to Postgres role "${row.role}" (it does not exist or is not granted to the authenticator)`);
  if (problems.length > 0) throw new ConfigError(problems);
}
