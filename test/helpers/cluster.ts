import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { EmbeddedDatabase } from "../../src/db/embedded.js";
import { freePort } from "./ports.js";

export interface TestCluster {
  database: EmbeddedDatabase;
  /** Superuser connection string to the cluster's `postgres` database. */
  rootUrl: string;
  /** Where the server writes its log. */
  logFile: string;
  /** Scratch space next to the cluster's files; removed with it. */
  dir: string;
  /** Stops the cluster and deletes its files. */
  destroy(): Promise<void>;
}

/** A throwaway embedded PostgreSQL cluster in a temporary directory, on a free port. */
export async function startTestCluster(): Promise<TestCluster> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), "auth-db-test-"));
  // As root the cluster runs as the postgres user, who must search this directory (mkdtemp makes it 0700).
  await fs.chmod(dir, 0o755);
  const port = await freePort();
  const database = new EmbeddedDatabase({
    dataDir: path.join(dir, "pg"),
    port,
    superuser: "postgres",
    // Not the documented default, so that tests may load production configurations on this cluster.
    superuserPassword: "test-superuser",
    // As root, where the binaries go if the postgres user cannot reach node_modules; as for npm start.
    systemDir: process.env.EMBEDDED_PG_SYSTEM_DIR,
  });
  await database.start();
  return {
    database,
    rootUrl: `postgres://postgres:test-superuser@127.0.0.1:${port}/postgres`,
    logFile: path.join(dir, "pg.log"),
    dir,
    async destroy() {
      await database.close();
      await fs.rm(dir, { recursive: true, force: true });
    },
  };
}
