import { createRequire } from "node:module";
import os from "node:os";
import { withClient } from "../../src/db/client.js";

export interface MachineDescription {
  cpus: number;
  cpuModel: string;
  memoryGiB: number;
  os: string;
  node: string;
  postgres: string;
  autocannon: string;
  casbin: string;
  pgbench?: string;
  /** 1, 5 and 15 minute load averages when the run started: another busy process skews everything. */
  loadAverageAtStart: number[];
}

const require = createRequire(import.meta.url);

function versionOf(pkg: string): string {
  return (require(`${pkg}/package.json`) as { version: string }).version;
}

export async function describeMachine(rootUrl: string, pgbench: string | undefined, loadAverageAtStart: number[]): Promise<MachineDescription> {
  const postgres = await withClient(rootUrl, async (client) => {
    const { rows } = await client.query<{ version: string }>("select version()");
    return rows[0]!.version;
  });
  const cpus = os.cpus();
  return {
    cpus: cpus.length,
    cpuModel: cpus[0]?.model.trim() ?? "unknown",
    memoryGiB: os.totalmem() / 2 ** 30,
    os: `${os.type()} ${os.release()} (${os.arch()})`,
    // The server and baseline processes run on this same binary (process.execPath).
    node: process.version,
    postgres,
    autocannon: versionOf("autocannon"),
    casbin: versionOf("casbin"),
    pgbench,
    loadAverageAtStart,
  };
}
