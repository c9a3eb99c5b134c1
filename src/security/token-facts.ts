import { decodeJwt, decodeProtectedHeader } from "jose";

/** Keeps a claimed value printable and short: it comes from an unverified token. */
function tame(value: unknown): string | undefined {
  return typeof value === "string" ? value.replace(/[^\x20-\x7e]/g, "?").slice(0, 200) : undefined;
}

/**
 * What a rejected bearer token claimed about itself (kid, alg, iss), for the
 * security log. Never the token: these are read without trusting them.
 */
export function rejectedTokenFacts(authorization: string | undefined): Record<string, string> {
  const token = /^bearer\s+(\S+)/i.exec(authorization?.trim() ?? "")?.[1];
  if (!token || token.length > 16_384) return {};
  const facts: Record<string, string | undefined> = {};
  try {
    const header = decodeProtectedHeader(token);
    facts.kid = tame(header.kid);
    facts.alg = tame(header.alg);
  } catch {
    return {};
  }
  try {
    facts.iss = tame(decodeJwt(token).iss);
  } catch {
    // a payload that does not decode says nothing more
  }
  return Object.fromEntries(Object.entries(facts).filter((entry): entry is [string, string] => entry[1] !== undefined));
}
