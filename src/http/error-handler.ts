import type { NextFunction, Request, Response } from "express";
import { isDatabaseUnavailable, type DatabaseAvailability } from "../db/availability.js";
import { logger } from "../observability/logger.js";
import { refuse, sendGraphQLError } from "./refusal.js";

/**
 * Last express handler: a body too large is 413, a body that is not JSON
 * 400, a body in a charset or Content-Encoding that cannot be read 415, an
 * unreachable database 503 (and marks it down); anything else is a logged
 * 500 that shows the client nothing internal.
 */
export function errorHandler(availability: DatabaseAvailability) {
  return (error: unknown, _req: Request, res: Response, next: NextFunction): void => {
    if (res.headersSent) return next(error);
    const type = (error as { type?: unknown } | null)?.type;
    if (type === "entity.too.large") {
      return refuse(res, 413, "PAYLOAD_TOO_LARGE", "request body larger than MAX_REQUEST_BYTES");
    }
    if (type === "entity.parse.failed") {
      return refuse(res, 400, "MALFORMED_BODY", "request body is not valid JSON");
    }
    if (type === "encoding.unsupported" || type === "charset.unsupported") {
      // body-parser's message names the charset or Content-Encoding it cannot read.
      return refuse(res, 415, "UNSUPPORTED_ENCODING", `request body cannot be read: ${(error as Error).message}`);
    }
    if (isDatabaseUnavailable(error)) {
      availability.report(error);
      return refuse(res, 503, "DATABASE_UNAVAILABLE", "database unavailable", { "Retry-After": "5" });
    }
    logger.error({ err: error }, "unhandled request error");
    sendGraphQLError(res, 500, "internal error", { code: "INTERNAL" });
  };
}
