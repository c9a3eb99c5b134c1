import type { StatementProfile } from "./count-statements.js";
import { reported } from "./targets.js";
import type { TargetResult } from "./types.js";

function kindOf(text: string): string {
  const head = text.trim().toLowerCase();
  if (head === "begin" || head === "commit" || head === "rollback") return head;
  if (head.startsWith("begin; select set_config(")) return "begin + set_config";
  return "query";
}

/** e.g. "3 per request in 1 round trip: begin + set_config → query → commit" */
export function describeProfile(profile: StatementProfile): string {
  const uneven = new Set(profile.counts).size > 1 ? ` (most frequent of ${profile.counts.join("/")})` : "";
  const trips = `${profile.roundTrips} round trip${profile.roundTrips === 1 ? "" : "s"}`;
  return `${profile.perRequest} per request in ${trips}: ${profile.statements.map(kindOf).join(" → ")}${uneven}`;
}

export function statementsTarget(name: string, profile: StatementProfile | undefined): TargetResult {
  return reported(name, "reported: SQL statements per request", profile ? describeProfile(profile) : "not counted");
}
