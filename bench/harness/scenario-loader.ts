import { readdir } from "node:fs/promises";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { benchDir } from "./paths.js";
import type { Scenario } from "./types.js";

const SCENARIO_FILE = /^\d+-[\w-]+\.ts$/;

/** Every bench/scenarios/NN-name.ts, in file-name order; adding a scenario is adding a file. */
export async function loadScenarios(): Promise<Scenario[]> {
  const dir = path.join(benchDir, "scenarios");
  const files = (await readdir(dir)).filter((name) => SCENARIO_FILE.test(name)).sort();
  const scenarios: Scenario[] = [];
  for (const file of files) {
    const module = (await import(pathToFileURL(path.join(dir, file)).href)) as { default?: Scenario };
    const scenario = module.default;
    if (!scenario?.id || !scenario.title || typeof scenario.run !== "function") {
      throw new Error(`bench/scenarios/${file} must export a Scenario (id, title, run) as default`);
    }
    scenarios.push(scenario);
  }
  const ids = scenarios.map((scenario) => scenario.id);
  const twice = ids.filter((id, i) => ids.indexOf(id) !== i);
  if (twice.length > 0) throw new Error(`scenario ids used twice: ${twice.join(", ")}`);
  return scenarios;
}
