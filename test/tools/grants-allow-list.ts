/**
 * `npm run grants:allow-list`: migrates a throwaway database (in
 * TEST_DATABASE_URL's cluster, else a temporary embedded one), lists every
 * grant in it and writes test/schema/grants.allow-list.txt. Review the diff
 * before committing it: each added line is a privilege someone now holds.
 */
import path from "node:path";
import { createTestDatabase } from "../helpers/database.js";
import { startTestCluster, type TestCluster } from "../helpers/cluster.js";
import { ALLOW_LIST_FILE, grantDiff, grantsOf, readAllowList, writeAllowList } from "../helpers/grants.js";

process.env.LOG_LEVEL ??= "warn";

async function main(): Promise<void> {
  let cluster: TestCluster | undefined;
  if (process.env.TEST_DATABASE_URL) {
    process.env.AUTH_DB_TEST_ROOT_URL = process.env.TEST_DATABASE_URL;
  } else {
    cluster = await startTestCluster();
    process.env.AUTH_DB_TEST_ROOT_URL = cluster.rootUrl;
  }
  try {
    const db = await createTestDatabase();
    try {
      const before = await readAllowList();
      const grants = await grantsOf(db);
      await writeAllowList(grants);
      const diff = grantDiff(before, grants);
      const file = path.relative(process.cwd(), ALLOW_LIST_FILE);
      console.log(`${file}: ${grants.length} lines, ${diff.length === 0 ? "unchanged" : `${diff.length} lines changed:`}`);
      for (const line of diff) console.log(line);
    } finally {
      await db.drop();
    }
  } finally {
    await cluster?.destroy();
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
