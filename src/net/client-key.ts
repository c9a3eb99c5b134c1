import { isIPv4 } from "node:net";
import { validIpAddress } from "./ip-address.js";

/** The eight 16-bit groups of a valid IPv6 address (zone already dropped). */
function ipv6Groups(address: string): number[] {
  const parse = (part: string): number[] =>
    part === ""
      ? []
      : part.split(":").flatMap((group) => {
          if (!group.includes(".")) return [parseInt(group, 16)];
          const [a, b, c, d] = group.split(".").map(Number) as [number, number, number, number];
          return [(a << 8) | b, (c << 8) | d];
        });
  const gap = address.indexOf("::");
  if (gap < 0) return parse(address);
  const head = parse(address.slice(0, gap));
  const tail = parse(address.slice(gap + 2));
  return [...head, ...new Array<number>(8 - head.length - tail.length).fill(0), ...tail];
}

/**
 * Who a client is, for counting it: an IPv4 address as is (an IPv4-mapped
 * IPv6 address as its IPv4 address), an IPv6 address by its /64, since one
 * host usually holds a whole /64 and can rotate through it. Undefined for
 * something that is not an address.
 */
export function clientKeyOf(value: string | undefined): string | undefined {
  const address = validIpAddress(value);
  if (address === undefined || isIPv4(address)) return address;
  const groups = ipv6Groups(address);
  if (groups.slice(0, 5).every((group) => group === 0) && groups[5] === 0xffff) {
    return [groups[6]! >> 8, groups[6]! & 0xff, groups[7]! >> 8, groups[7]! & 0xff].join(".");
  }
  return `${groups.slice(0, 4).map((group) => group.toString(16)).join(":")}::/64`;
}
