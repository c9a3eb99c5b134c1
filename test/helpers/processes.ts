import fs from "node:fs/promises";
import path from "node:path";
import { portAccepts } from "./ports.js";

/** Whether process `pid` has ended (gone, or a zombie nobody has reaped yet). */
export async function processEnded(pid: number): Promise<boolean> {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "ESRCH";
  }
  const stat = await fs.readFile(`/proc/${pid}/stat`, "utf8").catch(() => undefined);
  // The state follows the parenthesised command name: Z is a zombie.
  return stat !== undefined && stat.slice(stat.lastIndexOf(")") + 2).startsWith("Z");
}

/** The postmaster's pid from a running cluster's `postmaster.pid`. */
export async function postmasterPid(dataDir: string): Promise<number> {
  const text = await fs.readFile(path.join(dataDir, "postmaster.pid"), "utf8");
  return Number(text.split("\n")[0]);
}

/** Polls `condition` every 50 ms until it holds; throws `what` if it still does not after `attempts` polls. */
export async function eventually(what: string, condition: () => Promise<boolean>, attempts = 400): Promise<void> {
  for (let attempt = 0; attempt < attempts; attempt++) {
    if (await condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`still not the case after ${attempts} polls: ${what}`);
}

/** Resolves once nothing accepts connections on 127.0.0.1:`port`. */
export function portCloses(port: number): Promise<void> {
  return eventually(`port ${port} closed`, async () => !(await portAccepts(port)));
}
