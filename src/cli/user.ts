import { parseArgs } from "node:util";
import { loadConfig } from "../config/config.js";
import { withClient } from "../db/client.js";
import { provisionDatabase } from "../db/provision.js";
import { grantRole, listUsers, revokeRole, type Person } from "../ops/user-roles.js";
import { runCli } from "./run.js";

const USAGE = `usage:
  npm run user -- grant  (--username <name> | --sub <id>) --role <role>
  npm run user -- revoke (--username <name> | --sub <id>) --role <role>
  npm run user -- list   [--username <name> | --sub <id>]`;

/** `npm run user`: role assignments by an operator, without a token (as the schema owner). */
runCli(async () => {
  const { positionals, values } = parseArgs({
    options: { username: { type: "string" }, sub: { type: "string" }, role: { type: "string" } },
    strict: true,
    allowPositionals: true,
  });
  const [command, ...extra] = positionals;
  if (!command || !["grant", "revoke", "list"].includes(command) || extra.length > 0) {
    throw new Error(`expected one command: grant, revoke or list\n${USAGE}`);
  }
  if (values.username !== undefined && values.sub !== undefined) {
    throw new Error(`give --username or --sub, not both\n${USAGE}`);
  }
  const person: Person = { username: values.username, sub: values.sub };
  const named = values.username !== undefined || values.sub !== undefined;
  if (command !== "list" && (!named || !values.role)) {
    throw new Error(`${command} needs --username or --sub, and --role\n${USAGE}`);
  }
  if (command === "list" && values.role !== undefined) throw new Error(`list takes no --role\n${USAGE}`);

  const config = loadConfig();
  const database = await provisionDatabase(config.database);
  try {
    await withClient(config.database.ownerUrl, async (client) => {
      if (command === "grant") console.log(await grantRole(client, person, values.role!));
      else if (command === "revoke") console.log(await revokeRole(client, person, values.role!));
      else {
        const users = await listUsers(client, named ? person : undefined);
        for (const user of users) {
          console.log(`${user.username}\t${user.keycloak_sub ?? "(not signed in yet)"}\t${user.status}\t${user.roles.join(",") || "-"}`);
        }
        if (users.length === 0) console.log("no users");
      }
    });
  } finally {
    await database.close();
  }
  return 0;
});
