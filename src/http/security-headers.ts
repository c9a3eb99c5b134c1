import type { NextFunction, Request, Response } from "express";

/**
 * On every response: `X-Content-Type-Options: nosniff` (a browser never
 * reads a JSON answer as script or HTML), and `Strict-Transport-Security`
 * when `hstsMaxAgeSeconds` is set (browsers then only use https for this
 * host; it is sent whatever the connection, since TLS usually ends at a
 * proxy in front).
 */
export function securityHeaders(hstsMaxAgeSeconds: number | undefined) {
  const hsts = hstsMaxAgeSeconds === undefined ? undefined : `max-age=${hstsMaxAgeSeconds}`;
  return (_req: Request, res: Response, next: NextFunction): void => {
    res.setHeader("X-Content-Type-Options", "nosniff");
    if (hsts) res.setHeader("Strict-Transport-Security", hsts);
    next();
  };
}

/** `Cache-Control: no-store`: no cache or proxy keeps an answer (createApiKey's carries a secret). */
export function noStore() {
  return (_req: Request, res: Response, next: NextFunction): void => {
    res.setHeader("Cache-Control", "no-store");
    next();
  };
}
