import { randomUUID } from "node:crypto";
import { GraphQLError } from "postgraphile/graphql";
import { isSafeError } from "postgraphile/grafast";
import { logger } from "../observability/logger.js";

/**
 * SQLSTATE classes whose messages are written for the caller: bad input
 * (22), constraint violations (23), missing privileges (42501) and errors
 * raised on purpose by auth-db's own PL/pgSQL (P0001 and the 'AD' class).
 */
function isCallerFacingSqlState(code: string): boolean {
  return (
    code.startsWith("22") ||
    code.startsWith("23") ||
    code === "42501" ||
    code === "P0001" ||
    code.startsWith("AD")
  );
}

function sqlStateOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}

/** The same error, at the same place in the response, with the message and extensions the caller may see. */
function reword(error: GraphQLError, message: string, extensions: Record<string, unknown>): GraphQLError {
  return new GraphQLError(message, {
    nodes: error.nodes,
    source: error.source,
    positions: error.positions,
    path: error.path,
    originalError: error.originalError,
    extensions,
  });
}

/**
 * Decides what a GraphQL client sees of an error. Errors meant for the caller
 * keep their message (and, for database errors, their SQLSTATE as
 * `extensions.code`); anything else is replaced by an opaque id that is
 * logged next to the real error.
 */
export function maskError(error: GraphQLError): GraphQLError {
  const original = error.originalError;
  if (!original || original instanceof GraphQLError) return error;
  if (isSafeError(original)) return reword(error, original.message, original.extensions ?? {});
  const sqlState = sqlStateOf(original);
  if (sqlState && isCallerFacingSqlState(sqlState)) {
    const { constraint, column } = original as { constraint?: string; column?: string };
    return reword(error, original.message, {
      code: sqlState,
      ...(constraint ? { constraint } : {}),
      ...(column ? { column } : {}),
    });
  }
  const errorId = randomUUID();
  logger.error({ errorId, err: original }, "GraphQL error masked for the client")
  return reword(error, `Internal error (id: ${errorId})`, { code: "INTERNAL", errorId });
}

/** graphql-js appends its suggestions, which name fields, arguments, types and enum values, as " Did you mean …?". */
const SUGGESTION = /\s*Did you mean [\s\S]*\?$/;

/** A formatted error without graphql-js's "Did you mean …?" suggestions: they read the schema out to callers who may not introspect it. */
export function withoutSuggestions(error: unknown): unknown {
  const message = (error as { message?: unknown } | null)?.message;
  if (typeof message !== "string" || !SUGGESTION.test(message)) return error;
  return { ...(error as object), message: message.replace(SUGGESTION, "") };
}
