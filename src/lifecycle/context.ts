import type { Config } from "../config/config.js";
import { localDirectoryTarget } from "./archive-target.js";
import type { JobContext } from "./jobs.js";
import { s3Target } from "./s3-target.js";

/** What the lifecycle jobs need, from auth-db's configuration: exports go to the bucket when one is set, else to the directory. */
export function jobContextFor(config: Config): JobContext {
  const { archiveS3, archiveDir } = config.lifecycle;
  return {
    ownerUrl: config.database.ownerUrl,
    archiveTarget: archiveS3 ? s3Target(archiveS3) : localDirectoryTarget(archiveDir),
  };
}
