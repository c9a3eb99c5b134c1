import { tsImport } from "tsx/esm/api";
import type { TestCluster } from "../helpers/cluster.js";

declare global {
  var authDbTestCluster: TestCluster | undefined;
}

/**
 * One PostgreSQL for the whole run: TEST_DATABASE_URL (a superuser
 * connection to a cluster tests may create databases and roles in) when
 * given, else an embedded cluster of its own. Test files reach it through
 * AUTH_DB_TEST_ROOT_URL and each creates its own databases.
 *
 * Jest loads this file with Node's own loader, so the TypeScript it needs
 * comes through tsx.
 */
export default async function globalSetup(): Promise<void> {
  if (process.env.TEST_DATABASE_URL) {
    process.env.AUTH_DB_TEST_ROOT_URL = process.env.TEST_DATABASE_URL;
    return;
  }
  const { startTestCluster } = (await tsImport("../helpers/cluster.ts", import.meta.url)) as typeof import("../helpers/cluster.js");
  const cluster = await startTestCluster();
  globalThis.authDbTestCluster = cluster;
  process.env.AUTH_DB_TEST_ROOT_URL = cluster.rootUrl;
  process.env.AUTH_DB_TEST_PG_LOG = cluster.logFile;
}
