import type { NextFunction, Request, Response } from "express";
import { isDatabaseUnavailable, type DatabaseAvailability } from "../db/availability.js";
import { logger } from "../observability/logger.js";
import { header } from "./headers.js";
import { refuse, sendGraphQLError } from "./refusal.js";

/**
 * Last express handler: a body too large is 413, a body that is not JSON or
 * does not decompress 400, a body in a charset or Content-Encoding that
 * cannot be read 415, an unreachable database 503 (and marks it down); a
 * request whose body never arrived whole (the client went away, or was cut
 * off at HTTP_REQUEST_TIMEOUT_MS and answered 408 by Node) is recorded as
 * 408 (answered only if the connection is still open); anything else is a
 * logged 500 that shows the client nothing internal.
 */
export function errorHandler(availability: DatabaseAvailability) {
  return (error: unknown, req: Request, res: Response, next: NextFunction): void => {
    if (res.headersSent) return next(error);
    const type = (error as { type?: unknown } | null)?.type;
    if (type === "request.aborted") {
      // Nobody is left to answer when the connection is closed; the request log records the 408 at warn.
      if (res.socket?.destroyed === false) return refuse(res, 408, "REQUEST_INCOMPLETE", "request body ended before its length");
      res.statusCode = 408;
      return;
    }
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
    const encoding = header(req, "content-encoding")?.toLowerCase() ?? "identity";
    if (encoding !== "identity" && type === undefined && (error as { status?: unknown }).status === 400) {
      // body-parser's decompression failed (zlib or brotli): the body is not what its Content-Encoding says.
      return refuse(res, 400, "MALFORMED_BODY", `request body is not valid ${encoding} data (Content-Encoding)`);
    }
    if (isDatabaseUnavailable(error)) {
      availability.report(error);
      return refuse(res, 503, "DATABASE_UNAVAILABLE", "database unavailable", { "Retry-After": "5" });
    }
    logger.error({ err: error }, "unhandled request error");
    sendGraphQLError(res, 500, "internal error", { code: "INTERNAL" });
  };
}
