import { randomBytes } from "node:crypto";
import fs from "node:fs/promises";
import path from "node:path";
import { loadConfig } from "../config/config.js";
import { withClient } from "../db/client.js";
import { projectRoot } from "../db/migrations.js";
import { provisionDatabase } from "../db/provision.js";
import { dumpSchema } from "../db/schema-dump.js";
import { dropDatabase } from "../db/setup.js";
import { runCli } from "./run.js";

/** Where the dump lives in the repository; CI compares it with a fresh one. */
export const SCHEMA_FILE = path.join(projectRoot, "data", "schema.sql");

/**
 * `npm run schema:dump`: migrates a scratch database of its own in the
 * configured cluster (so what current.sql did to the development database
 * never shows), writes its dump to data/schema.sql, and drops it.
 */
runCli(async () => {
  const { database } = loadConfig();
  if (!database.rootUrl) {
    throw new Error("schema:dump makes a scratch database: set ROOT_DATABASE_URL (the embedded database has one)");
  }
  const cluster = await provisionDatabase(database, { applyMigrations: false });
  const name = `auth_db_dump_${randomBytes(4).toString("hex")}`;
  const owner = new URL(database.rootUrl);
  owner.username = `${name}_owner`;
  owner.password = randomBytes(12).toString("hex");
  owner.pathname = `/${name}`;
  const scratch = loadConfig(
    {
      NODE_ENV: "development",
      DATABASE_URL: owner.toString(),
      ROOT_DATABASE_URL: database.rootUrl,
      AUTHENTICATOR_PASSWORD: randomBytes(12).toString("hex"),
      LOG_LEVEL: "warn",
    },
    projectRoot,
  ).database;
  try {
    await provisionDatabase(scratch);
    const text = await withClient(scratch.ownerUrl, (client) => dumpSchema(client, scratch.roles));
    await fs.mkdir(path.dirname(SCHEMA_FILE), { recursive: true });
    await fs.writeFile(SCHEMA_FILE, text);
    console.log(`wrote ${path.relative(process.cwd(), SCHEMA_FILE) || SCHEMA_FILE}`);
  } finally {
    await dropDatabase(scratch).catch(() => undefined);
    await cluster.close();
  }
  return 0;
});
