import { ConfigError } from "../config/config.js";

/**
 * Runs a command-line entry point. A command that finishes returns its exit
 * code; a server returns nothing and keeps running. A failure prints one
 * clear message and exits 1.
 */
export function runCli(main: () => Promise<number | void>): void {
  main().then(
    (code) => {
      if (code !== undefined) process.exit(code);
    },
    (error: unknown) => {
      console.error(error instanceof ConfigError || error instanceof Error ? error.message : error);
      process.exit(1);
    },
  );
}
