import { ConfigError, loadConfig } from "../../src/config/config.js";

/** The problems auth-db names when it refuses `env` (loaded as if run from /srv/auth-db). */
export function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig(env, "/srv/auth-db");
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error("expected the configuration to be refused");
}
