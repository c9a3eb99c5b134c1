import type { Config } from "../config/config.js";
import { localDirectoryTarget } from "./archive-target.js";
import type { JobContext } from "./jobs.js";

/** What the lifecycle jobs need, from auth-db's configuration. */
export function jobContextFor(config: Config): JobContext {
  return {
    ownerUrl: config.database.ownerUrl,
    archiveTarget: localDirectoryTarget(config.lifecycle.archiveDir),
  };
}
