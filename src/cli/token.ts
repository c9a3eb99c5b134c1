import { parseArgs } from "node:util";
import { loadConfig } from "../config/config.js";
import { signDevToken } from "../auth/dev-issuer.js";
import { runCli } from "./run.js";

const USAGE = "usage: npm run token -- --username <name> [--sub <id>] [--email <address>] [--realm-roles a,b] [--expires-in <seconds>]";

/**
 * `npm run token`: prints a Keycloak-shaped access token from the
 * development issuer, for GraphiQL and curl. Refused in production and
 * whenever a real KEYCLOAK_ISSUER is configured (the server would not trust it).
 */
runCli(async () => {
  const { values } = parseArgs({
    options: {
      username: { type: "string" },
      sub: { type: "string" },
      email: { type: "string" },
      "realm-roles": { type: "string" },
      "expires-in": { type: "string" },
    },
    strict: true,
    allowPositionals: false,
  });
  if (!values.username) throw new Error(`--username is required\n${USAGE}`);
  const expiresIn = values["expires-in"] === undefined ? 3600 : Number(values["expires-in"]);
  if (!Number.isInteger(expiresIn) || expiresIn < 1) {
    throw new Error(`--expires-in: expected a whole number of seconds, got "${values["expires-in"]}"`);
  }
  const config = loadConfig();
  if (config.auth.issuer.kind !== "development") {
    throw new Error("npm run token signs development tokens only; KEYCLOAK_ISSUER is set, so get a token from Keycloak");
  }
  const token = await signDevToken(config.auth.issuer.keyFile, {
    username: values.username,
    sub: values.sub,
    email: values.email,
    realmRoles: values["realm-roles"]?.split(",").map((role) => role.trim()).filter(Boolean),
    clientId: config.auth.clientId,
    expiresInSeconds: expiresIn,
  });
  process.stdout.write(`${token}\n`);
  return 0;
});
