import { execFile } from "node:child_process";
import { createRequire } from "node:module";
import path from "node:path";

const tsx = createRequire(import.meta.url).resolve("tsx/cli");
const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), "../..");

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs one of auth-db's command-line entry points (src/cli/<name>.ts) as npm would. */
export function runCommand(name: string, args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [tsx, path.join(root, "src/cli", `${name}.ts`), ...args],
      { cwd: root, env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", LOG_LEVEL: "warn", ...env }, timeout: 60_000 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === "number" ? error.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}
