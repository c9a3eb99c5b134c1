import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { issueKey } from "../../src/ops/api-keys.js";
import { runCommand } from "./cli.js";
import type { TestDatabase } from "./database.js";

/**
 * Fills a database with some of everything a backup must carry: users,
 * a custom role and permission with their grants, an API key, audit rows
 * (from the triggers, plus one in a partition three months back), security
 * events (one in a partition ten days back), all audit rows linked.
 */
export async function populate(db: TestDatabase): Promise<void> {
  await db.asOwner(async (client) => {
    const { rows: users } = await client.query<{ id: string }>(
      `insert into auth.users (keycloak_sub, username, email, display_name, status, last_login_at) values
         ('sub-hanako', 'hanako', 'hanako@example.com', 'Hanako ''Quoted'' Tab\tNewline\nEnd', 'active', now()),
         ('sub-taro', 'taro', null, null, 'suspended', null)
       returning id`,
    );
    await client.query("insert into auth.roles (name, tier, description) values ('billing_clerk', 'business', 'Bills.')");
    await client.query("insert into auth.permissions (resource, action, tier) values ('invoices', 'read', 'business')");
    await client.query(
      `insert into auth.role_permissions (role_id, permission_id)
       select r.id, p.id from auth.roles r, auth.permissions p where r.name = 'billing_clerk' and p.resource = 'invoices'`,
    );
    await client.query(
      `insert into auth.user_roles (user_id, role_id, assigned_by)
       select $1, id, $2 from auth.roles where name in ('sys_admin', 'billing_clerk')`,
      [users[0]!.id, users[1]!.id],
    );
    await issueKey(client, { name: "gateway", serviceName: "api-gateway", tier: "system", permissions: ["users:read"] });
    await client.query("select auth.ensure_audit_log_partition((now() - interval '3 months')::date)");
    await client.query(
      `insert into auth.audit_logs (event_type, action, detail, ip_address, created_at)
       values ('TEST', 'old', '{"n": 1.5}', '10.0.0.1', now() - interval '3 months')`,
    );
    await client.query("select auth.ensure_security_event_partition((now() - interval '10 days')::date)");
    await client.query(
      `insert into auth.security_events (type, description, ip_address, detail, created_at) values
         ('API_KEY_REJECTED', 'unknown key', '192.0.2.7', '{"code": "API_KEY_NOT_FOUND"}', now() - interval '10 days'),
         ('API_KEY_REJECTED', 'expired key', '2001:db8::1', '{"code": "API_KEY_EXPIRED"}', now())`,
    );
    await client.query("select auth.chain_audit_logs()");
  });
}

/** Every row of every table of schema auth, partitions included, keyed by table: what "the same data" means. */
export async function allRows(db: TestDatabase): Promise<Record<string, unknown[]>> {
  return db.asRoot(async (client) => {
    const { rows: tables } = await client.query<{ name: string }>(
      "select format('%I.%I', schemaname, tablename) as name from pg_tables where schemaname = 'auth' order by 1",
    );
    const result: Record<string, unknown[]> = {};
    for (const { name } of tables) {
      const { rows } = await client.query(`select coalesce(jsonb_agg(to_jsonb(t) order by to_jsonb(t)::text), '[]') as rows from ${name} t`);
      result[name] = rows[0].rows;
    }
    return result;
  });
}

/** A new empty temporary directory, e.g. a backup root. */
export function temporaryDirectory(): Promise<string> {
  return fs.mkdtemp(path.join(os.tmpdir(), "auth-db-backups-"));
}

/** Runs `npm run backup -- --dir <root>` against `db` and returns the backup's directory. */
export async function backUp(db: TestDatabase, root: string): Promise<string> {
  const result = await runCommand("backup", ["--dir", root], db.env);
  if (result.code !== 0) throw new Error(`backup failed: ${result.stderr}`);
  return result.stdout.trim();
}

/** Edits a backup's manifest.json in place. */
export async function editManifest(dir: string, edit: (manifest: Record<string, any>) => void): Promise<void> {
  const file = path.join(dir, "manifest.json");
  const manifest = JSON.parse(await fs.readFile(file, "utf8"));
  edit(manifest);
  await fs.writeFile(file, JSON.stringify(manifest, null, 2));
}
