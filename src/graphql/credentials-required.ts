import { SafeError } from "postgraphile/grafast";
import { Kind, parse, type DocumentNode } from "postgraphile/graphql";
import type { Response } from "express";
import type { AuthenticatedRequest } from "../http/authentication.js";
import { requestRefusals } from "../observability/metrics.js";

/** What a request body names to execute. */
interface RequestedOperation {
  query?: unknown;
  operationName?: unknown;
}

/**
 * Whether the request asks for a mutation: the operation named by
 * operationName, or, without one, any operation of the document (a
 * document with several operations and no name executes nothing). A query
 * that does not parse is left for GraphQL to refuse; it executes nothing.
 */
function asksForMutation({ query, operationName }: RequestedOperation): boolean {
  if (typeof query !== "string" || !query.includes("mutation")) return false;
  let document: DocumentNode;
  try {
    document = parse(query, { noLocation: true });
  } catch {
    return false;
  }
  return document.definitions.some(
    (definition) =>
      definition.kind === Kind.OPERATION_DEFINITION &&
      definition.operation === "mutation" &&
      (typeof operationName !== "string" || operationName === "" || definition.name?.value === operationName),
  );
}

/**
 * Mutations need credentials. A request without any (anonymous) that asks
 * for a mutation is refused with 401 CREDENTIALS_REQUIRED and a
 * WWW-Authenticate challenge before anything executes, so it writes
 * nothing: no change, no audit row, no security event, only a count in
 * authdb_request_refusals_total (and, as a 401, in the failed-authentication
 * limit of its address). verifyApiKey is a mutation too: gateways call it
 * with a key or token of their own.
 *
 * It runs where grafserv has read the request body, whatever its shape
 * (JSON, application/graphql, form, query string), so no transport skips it.
 */
export const CredentialsRequiredPlugin: GraphileConfig.Plugin = {
  name: "AuthDbCredentialsRequiredPlugin",
  version: "1.0.0",
  description: "Refuses mutations from requests without credentials before execution",
  grafserv: {
    middleware: {
      processGraphQLRequestBody(next, event) {
        const express = event.request?.requestContext?.expressv4 as { req?: AuthenticatedRequest; res?: Response } | undefined;
        // A request that did not come through express's authentication counts as anonymous.
        const anonymous = express?.req?.callerKind === undefined || express.req.callerKind === "anonymous";
        if (anonymous && asksForMutation(event.body)) {
          requestRefusals.inc({ reason: "CREDENTIALS_REQUIRED" });
          express?.res?.setHeader("WWW-Authenticate", 'Bearer realm="auth-db", ApiKey realm="auth-db"');
          throw new SafeError("credentials required: mutations need a Bearer token or an API key", {
            statusCode: 401,
            code: "UNAUTHENTICATED",
            reason: "CREDENTIALS_REQUIRED",
          });
        }
        return next();
      },
    },
  },
};
