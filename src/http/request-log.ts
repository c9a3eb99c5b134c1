import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { pinoHttp } from "pino-http";
import { traceIdOf } from "../auth/identity.js";
import { logger } from "../observability/logger.js";
import { header } from "./headers.js";

/** Set by the authentication middleware: who made the request. */
export interface CallerInfo {
  callerKind?: "anonymous" | "user" | "service" | "rejected";
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** Known only once the request was handled: who called, in which trace. */
function outcomeFields(req: IncomingMessage & CallerInfo) {
  return { traceId: traceIdOf(header(req, "traceparent")), caller: req.callerKind ?? "anonymous" };
}

/**
 * One log line per request: request id (the caller's X-Request-Id when it is
 * sane, else a new one, echoed back), W3C trace id, caller kind, method,
 * path, status and duration. Never headers, query strings or bodies: that is
 * where tokens, keys and variables live.
 */
export function requestLog() {
  return pinoHttp({
    logger,
    genReqId(req: IncomingMessage, res: ServerResponse) {
      const incoming = header(req, "x-request-id");
      const id = incoming && REQUEST_ID.test(incoming) ? incoming : randomUUID();
      res.setHeader("x-request-id", id);
      return id;
    },
    serializers: {
      req: (req: { id: unknown; method: string; url: string }) => ({ id: req.id, method: req.method, path: req.url.split("?")[0] }),
      res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
    },
    customSuccessObject: (req, _res, line) => ({ ...line, ...outcomeFields(req) }),
    customErrorObject: (req, _res, _error, line) => ({ ...line, ...outcomeFields(req) }),
    customLogLevel: (_req, res, error) => (error || res.statusCode >= 500 ? "error" : res.statusCode >= 400 ? "warn" : "info"),
    autoLogging: { ignore: (req) => req.url === "/health" || req.url === "/metrics" },
  });
}
