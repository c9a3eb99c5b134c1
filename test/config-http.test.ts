import { loadConfig } from "../src/config/config.js";
import { problemsOf } from "./helpers/config-problems.js";

/** The HTTP limits, timeouts, headers and introspection policy, as configured. */

test("GRAPHQL_MAX_ALIASES is 30 unless set", () => {
  expect([loadConfig({}, "/srv").limits.maxQueryAliases, loadConfig({ GRAPHQL_MAX_ALIASES: "5" }, "/srv").limits.maxQueryAliases]).toEqual([30, 5]);
});

test("a malformed GRAPHQL_MAX_ALIASES is named in the error", () => {
  expect(problemsOf({ GRAPHQL_MAX_ALIASES: "-1" })).toEqual(["GRAPHQL_MAX_ALIASES: expected 0 to 10000 aliases"]);
});
