import "../graphile-env.js";
import "../v8-flags.js";
import { runCli } from "./run.js";
import { serve } from "./serve.js";

/** `npm start`: see serve(). */
runCli(() => serve(process.argv.slice(2)));
