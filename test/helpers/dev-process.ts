import { spawn, type ChildProcess } from "node:child_process";
import type { Exit } from "./server-process.js";

export interface DevProcess {
  /** npm's pid, which is also its process group's id. */
  pid: number;
  /** Everything it printed so far, stdout and stderr interleaved. */
  output(): string;
  /** The first match of `pattern` in the output, waiting at most `timeoutMs` for it. */
  waitForOutput(pattern: RegExp, timeoutMs: number): Promise<RegExpMatchArray>;
  /** Ctrl-C in a terminal: SIGINT to every process of its foreground process group. */
  interrupt(): void;
  /** How it exited, waiting at most `timeoutMs`. */
  exited(timeoutMs: number): Promise<Exit>;
  /** For afterAll: SIGKILL to its process group if it is still running. */
  kill(): Promise<void>;
}

/** `npm run <script>` with the npm that runs the tests, or the one on PATH. */
function npmRun(script: string, cwd: string, env: Record<string, string>): ChildProcess {
  const npmCli = process.env.npm_execpath;
  const [command, args] = npmCli?.endsWith(".js")
    ? [process.execPath, [npmCli, "run", script]]
    : ["npm", ["run", script]];
  return spawn(command, args, {
    cwd,
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", ...env },
    stdio: ["ignore", "pipe", "pipe"],
    // Its own process group, as a terminal gives a foreground job.
    detached: true,
  });
}

/** Runs `npm run dev` in `cwd` with `env`, as a developer would in a terminal. */
export function startDevProcess(cwd: string, env: Record<string, string>): DevProcess {
  const child = npmRun("dev", cwd, env);
  let output = "";
  const listeners = new Set<() => void>();
  const append = (chunk: Buffer) => {
    output += chunk.toString();
    for (const listener of listeners) listener();
  };
  child.stdout!.on("data", append);
  child.stderr!.on("data", append);
  let exitedAlready = false;
  const exit = new Promise<Exit>((resolve) =>
    child.once("exit", (code, signal) => {
      exitedAlready = true;
      for (const listener of listeners) listener();
      resolve({ code, signal });
    }),
  );

  return {
    pid: child.pid!,
    output: () => output,
    waitForOutput: (pattern, timeoutMs) =>
      new Promise((resolve, reject) => {
        const check = () => {
          const match = pattern.exec(output);
          if (!match && !exitedAlready) return;
          listeners.delete(check);
          clearTimeout(timer);
          if (match) resolve(match);
          else reject(new Error(`npm run dev exited before printing ${pattern}; it printed:\n${output}`));
        };
        const timer = setTimeout(() => {
          listeners.delete(check);
          reject(new Error(`npm run dev did not print ${pattern} within ${timeoutMs} ms; it printed:\n${output}`));
        }, timeoutMs);
        listeners.add(check);
        check();
      }),
    interrupt: () => process.kill(-child.pid!, "SIGINT"),
    exited: (timeoutMs) =>
      Promise.race([
        exit,
        new Promise<never>((_, reject) =>
          setTimeout(
            () => reject(new Error(`npm run dev did not exit within ${timeoutMs} ms; it printed:\n${output}`)),
            timeoutMs,
          ).unref(),
        ),
      ]),
    async kill() {
      if (exitedAlready) return;
      try {
        process.kill(-child.pid!, "SIGKILL");
      } catch {
        // gone meanwhile
      }
      await exit;
    },
  };
}
