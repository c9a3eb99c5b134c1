import { spawn } from "node:child_process";
import os from "node:os";

/**
 * Signals this close together are one Ctrl-C heard twice: from the terminal
 * and relayed by `npm run` (which `exec`s the script, so the process it
 * relays to is this one).
 */
const SAME_KEYPRESS_MS = 1000;

/**
 * Runs a TypeScript entry point in a process group of its own, relaying the
 * signals this process gets, and resolves with its exit code.
 *
 * Ctrl-C in a terminal signals every process of the foreground group at once:
 * a server would hear it from the terminal and again from `tsx watch`, which
 * relays it, and the embedded PostgreSQL would shut down fast under a server
 * still using it. Out of that group, the child hears only what is relayed
 * here: the first SIGINT or SIGTERM alone, so that it stops its parts in
 * order; a later one (a second Ctrl-C) to its whole group, as the terminal
 * would have. Should this process die without relaying, the child sees its
 * IPC channel disconnect.
 */
export function runInOwnProcessGroup(entry: string, cwd: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", entry], {
      cwd,
      detached: true,
      stdio: ["ignore", "inherit", "inherit", "ipc"],
    });
    let firstSignalAt: number | undefined;
    const relay = (signal: NodeJS.Signals) => {
      const now = performance.now();
      try {
        if (firstSignalAt === undefined) {
          firstSignalAt = now;
          child.kill(signal);
        } else if (now - firstSignalAt >= SAME_KEYPRESS_MS) {
          process.kill(-child.pid!, signal);
        }
      } catch {
        // already gone: its exit resolves below
      }
    };
    process.on("SIGINT", relay);
    process.on("SIGTERM", relay);
    child.once("error", reject);
    child.once("exit", (code, signal) => {
      process.off("SIGINT", relay);
      process.off("SIGTERM", relay);
      resolve(code ?? 128 + (signal ? os.constants.signals[signal] : 0));
    });
  });
}
