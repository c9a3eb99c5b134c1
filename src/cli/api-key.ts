import { parseArgs } from "node:util";
import { loadConfig } from "../config/config.js";
import { withClient } from "../db/client.js";
import { provisionDatabase } from "../db/provision.js";
import { issueKey, listKeys, revokeKey, rotateKey } from "../ops/api-keys.js";
import { runCli } from "./run.js";

const USAGE = `usage:
  npm run api-key -- create --name <name> --service <service> [--tier service|business|system]
                            [--permissions resource:action,…] [--expires-at <ISO 8601 time>]
  npm run api-key -- list
  npm run api-key -- revoke --id <key id>
  npm run api-key -- rotate --id <key id> [--grace-seconds <0…2592000>]`;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function fail(message: string): never {
  throw new Error(`${message}\n${USAGE}`);
}

/** The flags each command accepts, and which of them it needs. */
const COMMANDS: Record<string, { allowed: string[]; required: string[] }> = {
  create: { allowed: ["name", "service", "tier", "permissions", "expires-at"], required: ["name", "service"] },
  list: { allowed: [], required: [] },
  revoke: { allowed: ["id"], required: ["id"] },
  rotate: { allowed: ["id", "grace-seconds"], required: ["id"] },
};

/**
 * `npm run api-key`: issue, list, revoke and rotate API keys as an operator
 * (the schema owner), e.g. to bootstrap the first key without a token. A
 * new key is printed once, on stdout, and stored nowhere.
 */
runCli(async () => {
  const { positionals, values } = parseArgs({
    options: {
      name: { type: "string" },
      service: { type: "string" },
      tier: { type: "string" },
      permissions: { type: "string" },
      "expires-at": { type: "string" },
      id: { type: "string" },
      "grace-seconds": { type: "string" },
    },
    strict: true,
    allowPositionals: true,
  });
  const [command, ...extra] = positionals;
  const spec = command ? COMMANDS[command] : undefined;
  if (!spec || extra.length > 0) fail("expected one command: create, list, revoke or rotate");
  const given = Object.keys(values);
  const stray = given.filter((flag) => !spec.allowed.includes(flag));
  if (stray.length > 0) fail(`${command} does not take --${stray.join(", --")}`);
  const missing = spec.required.filter((flag) => values[flag as keyof typeof values] === undefined);
  if (missing.length > 0) fail(`${command} needs --${missing.join(", --")}`);
  if (values.id !== undefined && !UUID.test(values.id)) fail(`--id: expected a key id (UUID), got "${values.id}"`);
  if (values.tier !== undefined && !["service", "business", "system"].includes(values.tier)) {
    fail(`--tier: expected service, business or system, got "${values.tier}"`);
  }
  let expiresAt: Date | undefined;
  if (values["expires-at"] !== undefined) {
    expiresAt = new Date(values["expires-at"]);
    if (Number.isNaN(expiresAt.getTime())) fail(`--expires-at: expected an ISO 8601 time, got "${values["expires-at"]}"`);
  }
  const grace = values["grace-seconds"] === undefined ? 0 : Number(values["grace-seconds"]);
  if (!Number.isInteger(grace)) fail(`--grace-seconds: expected a whole number, got "${values["grace-seconds"]}"`);

  const config = loadConfig();
  const database = await provisionDatabase(config.database);
  try {
    await withClient(config.database.ownerUrl, async (client) => {
      if (command === "create") {
        const issued = await issueKey(client, {
          name: values.name!,
          serviceName: values.service!,
          tier: values.tier ?? "service",
          permissions: values.permissions?.split(",").map((p) => p.trim()).filter(Boolean) ?? [],
          expiresAt,
        });
        console.error(`issued key ${issued.id} (prefix ${issued.key_prefix}); it is shown once:`);
        console.log(issued.key);
      } else if (command === "rotate") {
        const issued = await rotateKey(client, values.id!, grace);
        console.error(`rotated into key ${issued.id} (prefix ${issued.key_prefix}); the old key stops in ${grace}s. New key, shown once:`);
        console.log(issued.key);
      } else if (command === "revoke") {
        await revokeKey(client, values.id!);
        console.log(`revoked ${values.id}`);
      } else {
        for (const key of await listKeys(client)) {
          const state = !key.is_active || (key.revoked_at && key.revoked_at <= new Date()) ? "revoked" : "active";
          console.log(
            [key.id, key.key_prefix, key.name, key.service_name, key.tier, key.permissions.join(",") || "-",
              key.expires_at?.toISOString() ?? "no expiry", key.last_used_at?.toISOString() ?? "never used", state].join("\t"),
          );
        }
      }
    });
  } finally {
    await database.close();
  }
  return 0;
});
