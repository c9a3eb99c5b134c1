import type { IncomingMessage } from "node:http";

/**
 * A request header as one string. Node already joins repeated headers (or
 * keeps the first, for ones like Authorization); only set-cookie arrives as
 * an array, joined here the same way.
 */
export function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value.join(", ") : value;
}
