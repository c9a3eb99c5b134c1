import fs from "node:fs/promises";
import path from "node:path";
import { dumpSchema } from "../../src/db/schema-dump.js";
import { createTestDatabase, type TestDatabase } from "../helpers/database.js";

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db?.drop();
});

test("data/schema.sql is the dump of a database the committed migrations made (else: npm run schema:dump)", async () => {
  const fresh = await db.asOwner((client) => dumpSchema(client, db.config.database.roles));
  const committed = await fs.readFile(path.join(process.cwd(), "data", "schema.sql"), "utf8");
  expect(fresh).toBe(committed);
});
