import { spawn, type ChildProcess } from "node:child_process";
import { createWriteStream } from "node:fs";
import { readFile } from "node:fs/promises";
import { projectRoot } from "./paths.js";

export interface ChildServer {
  pid: number;
  /** Where its stdout and stderr went. */
  logFile: string;
  /** SIGTERM, then SIGKILL if it has not exited after a few seconds. */
  stop(): Promise<void>;
}

/**
 * Runs a TypeScript entry point in a process of its own. `node --import tsx`
 * (rather than the tsx CLI, which forks again) keeps the server in the very
 * process whose pid we hold, so its RSS is what we sample.
 */
export function spawnTypeScript(entry: string, env: Record<string, string>, logFile: string): ChildProcess {
  const log = createWriteStream(logFile, { flags: "a" });
  const child = spawn(process.execPath, ["--import", "tsx", entry], {
    cwd: projectRoot,
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stdout!.pipe(log, { end: false });
  child.stderr!.pipe(log, { end: false });
  child.once("exit", () => setTimeout(() => log.end(), 100));
  return child;
}

export async function stopChild(child: ChildProcess, graceMs = 10_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
  await exited;
  clearTimeout(timer);
}

export async function tail(file: string, lines = 30): Promise<string> {
  const text = await readFile(file, "utf8").catch(() => "");
  return text.split("\n").slice(-lines).join("\n");
}

/**
 * Waits until `url` answers at all, failing early (with the log's tail) if
 * the child exits. Any status will do: auth-db listens only once its schema
 * is built, and its /health verdict also covers data upkeep (partitions,
 * jobs) that has nothing to do with whether it can serve a benchmark.
 */
export async function waitUntilServing(child: ChildProcess, url: string, logFile: string, timeoutMs = 90_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`${url}: the process exited (${child.exitCode ?? child.signalCode}) before serving:\n${await tail(logFile)}`);
    }
    const answered = await fetch(url, { signal: AbortSignal.timeout(5_000) }).then(
      async (response) => {
        await response.arrayBuffer();
        return true;
      },
      () => false,
    );
    if (answered) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`${url}: not serving after ${timeoutMs / 1000}s:\n${await tail(logFile)}`);
}

const startedLogs: string[] = [];

/** Every server log written so far: they live in the temporary directory, so show them before it goes. */
export function serverLogs(): readonly string[] {
  return startedLogs;
}

/** Spawns a server entry point and resolves once its health URL answers. */
export async function startChildServer(
  entry: string,
  env: Record<string, string>,
  logFile: string,
  healthUrl: string,
): Promise<ChildServer> {
  const child = spawnTypeScript(entry, env, logFile);
  startedLogs.push(logFile);
  let stopping = false;
  // A server dying mid-run shows up as a burst of connection errors; say why at once.
  child.once("exit", (code, signal) => {
    if (stopping) return;
    void tail(logFile, 40).then((lines) =>
      console.error(`${entry} (pid ${child.pid}) exited unexpectedly (${code ?? signal}); its log ends:\n${lines}`),
    );
  });
  try {
    await waitUntilServing(child, healthUrl, logFile);
  } catch (error) {
    stopping = true;
    await stopChild(child);
    throw error;
  }
  return {
    pid: child.pid!,
    logFile,
    stop: () => {
      stopping = true;
      return stopChild(child);
    },
  };
}
