import { randomUUID } from "node:crypto";
import type { NextFunction, Request, Response } from "express";
import { traceIdOf } from "../auth/identity.js";
import { logger } from "../observability/logger.js";
import { header } from "./headers.js";

/** Set by the authentication middleware: who made the request. */
export interface CallerInfo {
  callerKind?: "anonymous" | "user" | "service" | "rejected";
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;
const UNLOGGED_PATHS = new Set(["/health", "/metrics"]);

function levelFor(status: number, finished: boolean): "error" | "warn" | "info" {
  if (status >= 500) return "error";
  return status >= 400 || !finished ? "warn" : "info";
}

/**
 * One log line per request: request id (the caller's X-Request-Id when it is
 * sane, else a new one, echoed back), W3C trace id, caller kind, method,
 * path, status and duration; info for success, warn for 4xx and requests
 * the client gave up on, error for 5xx. Never headers, query strings or
 * bodies: that is where tokens, keys and variables live. The line is only
 * built when its level is enabled, so a quiet server pays a timer and a
 * listener per request.
 */
export function requestLog() {
  return (req: Request & CallerInfo, res: Response, next: NextFunction): void => {
    const incoming = header(req, "x-request-id");
    const id = incoming && REQUEST_ID.test(incoming) ? incoming : randomUUID();
    res.setHeader("x-request-id", id);
    const path = req.url.split("?")[0]!;
    if (UNLOGGED_PATHS.has(path)) return next();
    const started = performance.now();
    res.once("close", () => {
      const finished = res.writableFinished;
      const level = levelFor(res.statusCode, finished);
      if (!logger.isLevelEnabled(level)) return;
      logger[level](
        {
          req: { id, method: req.method, path },
          res: { statusCode: res.statusCode },
          responseTime: Math.round(performance.now() - started),
          traceId: traceIdOf(header(req, "traceparent")),
          caller: req.callerKind ?? "anonymous",
        },
        finished ? "request completed" : "request aborted",
      );
    });
    next();
  };
}
