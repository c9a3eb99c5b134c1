import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), "../..");

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface ServerProcessOptions {
  /** Run `npm start` itself, as a supervisor would: `pid` is then npm's. */
  viaNpm?: boolean;
  /** The project directory to start from; this checkout by default. */
  cwd?: string;
}

export interface ServerProcess {
  /** The server's own process (the cluster primary with WEB_CONCURRENCY > 1), or npm's with `viaNpm`. */
  pid: number;
  /** Where it serves, from its "listening on" line. */
  url: string;
  /** Everything it printed so far, stdout and stderr interleaved. */
  output(): string;
  /** The first match of `pattern` in the output, waiting at most `timeoutMs` for it. */
  waitForOutput(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  /** Sends it a signal. */
  signal(signal: NodeJS.Signals): void;
  /** How it exited, waiting at most `timeoutMs`. */
  exited(timeoutMs: number): Promise<Exit>;
  /** For afterAll/finally: SIGTERM, waiting at most 20 s, then SIGKILL to whatever is left of its process group. */
  stop(): Promise<void>;
}

/**
 * Runs `npm start` (src/cli/start.ts) as a child process with `env`, as a
 * deployment would, and resolves once it prints where it listens. It runs in
 * a process group of its own, so that cleanup can reach its workers and
 * embedded PostgreSQL even if it cannot stop them itself.
 */
export async function startServerProcess(
  env: Record<string, string>,
  timeoutMs = 60_000,
  { viaNpm = false, cwd = root }: ServerProcessOptions = {},
): Promise<ServerProcess> {
  // node --import tsx, not the tsx CLI: the test's pid is then the server's own.
  const [command, args] = viaNpm ? ["npm", ["start"]] : [process.execPath, ["--import", "tsx", "src/cli/start.ts"]];
  const child: ChildProcess = spawn(command, args, {
    cwd,
    env: {
      PATH: process.env.PATH ?? "",
      HOME: process.env.HOME ?? "",
      LOG_LEVEL: "warn",
      ...(viaNpm ? { npm_config_update_notifier: "false" } : {}),
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  let output = "";
  const listeners = new Set<() => void>();
  const append = (chunk: Buffer) => {
    output += chunk.toString();
    for (const listener of listeners) listener();
  };
  child.stdout!.on("data", append);
  child.stderr!.on("data", append);
  const exit = new Promise<Exit>((resolve) => child.once("exit", (code, signal) => resolve({ code, signal })));
  let exitedAlready = false;
  void exit.then(() => {
    exitedAlready = true;
    for (const listener of listeners) listener();
  });

  const waitForOutput = (pattern: RegExp, wait = 30_000) =>
    new Promise<RegExpMatchArray>((resolve, reject) => {
      const check = () => {
        const match = pattern.exec(output);
        if (!match && !exitedAlready) return;
        listeners.delete(check);
        clearTimeout(timer);
        if (match) resolve(match);
        else reject(new Error(`the server exited before printing ${pattern}; it printed:\n${output}`));
      };
      const timer = setTimeout(() => {
        listeners.delete(check);
        reject(new Error(`the server did not print ${pattern} within ${wait} ms; it printed:\n${output}`));
      }, wait);
      listeners.add(check);
      check();
    });

  const exited = (wait: number) =>
    Promise.race([
      exit,
      new Promise<never>((_, reject) =>
        setTimeout(() => reject(new Error(`the server did not exit within ${wait} ms; it printed:\n${output}`)), wait).unref(),
      ),
    ]);

  const server: ServerProcess = {
    pid: child.pid!,
    url: "",
    output: () => output,
    waitForOutput,
    signal: (signal) => {
      if (!exitedAlready) child.kill(signal);
    },
    exited,
    async stop() {
      if (!exitedAlready) {
        child.kill("SIGTERM");
        await exited(20_000).catch(() => {});
      }
      try {
        // Whatever is left of its group (workers, PostgreSQL) if it could not stop them.
        process.kill(-child.pid!, "SIGKILL");
      } catch {
        // nothing left: the usual case
      }
    },
  };
  try {
    const [, url] = (await waitForOutput(/auth-db listening on (\S+)/, timeoutMs))!;
    return { ...server, url: url! };
  } catch (error) {
    await server.stop();
    throw error;
  }
}
