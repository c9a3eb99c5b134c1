import { isIP } from "node:net";

/**
 * `value` if it is an IPv4 or IPv6 address PostgreSQL's inet accepts (an
 * IPv6 zone such as `%eth0` is dropped), else undefined: a forwarded header
 * or a queued event can carry anything, and an address that is not one is
 * treated as absent rather than stored or passed on to SQL.
 */
export function validIpAddress(value: unknown): string | undefined {
  if (typeof value !== "string") return undefined;
  const address = value.split("%")[0]!;
  return isIP(address) === 0 ? undefined : address;
}
