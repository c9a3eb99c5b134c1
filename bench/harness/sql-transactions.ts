import { decodeJwt } from "jose";
import type { Person } from "../../test/helpers/people.js";
import { settingsFor, type Claims } from "../baselines/bearer.js";
import { beginWithSettingsSql } from "../../src/db/request-transaction.js";
import type { SqlStatement } from "../load/jobs.js";

/** The role and settings auth-db gives this person's requests from 127.0.0.1. */
export function callerSettings(person: Person, role: string): Record<string, string> {
  return settingsFor(decodeJwt(person.token) as Claims, { ip: "127.0.0.1" }, role);
}

/** begin with set_config(...) in one message; the statement; commit, sent without waiting for answers: the shape of every auth-db request. */
export function asCaller(settings: Record<string, string>, statement: SqlStatement): SqlStatement[] {
  return [{ text: beginWithSettingsSql(settings) }, statement, { text: "commit" }];
}

/**
 * The transaction as a pgbench script; `:settings` and the statement's
 * variables come from -D. pgbench's prepared mode cannot send two commands
 * in one message, so begin and set_config stay two statements here, and it
 * waits for each: four round trips where auth-db takes one.
 */
export function asCallerPgbenchScript(statement: string): string {
  return [
    "begin;",
    "select set_config(el->>0, el->>1, true) from json_array_elements(:settings::json) el;",
    `${statement};`,
    "commit;",
    "",
  ].join("\n");
}

/**
 * The one statement of a request that is neither transaction control nor
 * the begin that carries the settings, as Grafast sent it, if it takes no
 * parameters and so can be replayed as it is.
 */
export function replayableQuery(statements: string[]): string | undefined {
  const queries = statements.filter((text) => !/^(begin|commit|rollback)\b/i.test(text.trim()));
  if (queries.length !== 1 || /\$\d/.test(queries[0]!)) return undefined;
  return queries[0];
}
