import path from "node:path";
import { projectRoot } from "../db/migrations.js";
import { runInOwnProcessGroup } from "../dev/process-group.js";
import { runCli } from "./run.js";

/**
 * `npm run dev`: the development loop (src/dev/session.ts) in a process group
 * of its own, so that Ctrl-C reaches it once, through here, and it stops
 * quietly in order instead of every process hearing it at the same time.
 */
runCli(() => runInOwnProcessGroup(path.join(projectRoot, "src/dev/session.ts"), projectRoot));
