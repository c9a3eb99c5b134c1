import type { Request } from "express";
import { createRemoteJWKSet, jwtVerify, type JWTPayload } from "jose";

/*
 * What both baseline servers do with a token, written by hand with the same
 * library auth-db uses (jose) against the same issuer's JWKS: the part of
 * the cost that any design with Keycloak tokens pays.
 */

export interface BaselineEnv {
  port: number;
  authenticatorUrl: string;
  ownerUrl: string;
  issuer: string;
  jwksUrl: string;
  audience: string;
  userRole: string;
  /** Serving processes (BENCH_PROCESSES, default 1): more than one serve as auth-db's cluster does. */
  processes: number;
}

function processCount(value: string | undefined): number {
  if (value === undefined) return 1;
  const count = Number(value);
  if (!Number.isInteger(count) || count < 1) throw new Error(`BENCH_PROCESSES must be a whole number ≥ 1, got "${value}"`);
  return count;
}

export function baselineEnv(env: NodeJS.ProcessEnv = process.env): BaselineEnv {
  const need = (name: string) => {
    const value = env[name];
    if (!value) throw new Error(`${name} is not set (the bench runner sets it)`);
    return value;
  };
  return {
    port: Number(need("PORT")),
    authenticatorUrl: need("BENCH_AUTHENTICATOR_URL"),
    ownerUrl: need("BENCH_OWNER_URL"),
    issuer: need("BENCH_ISSUER"),
    jwksUrl: need("BENCH_JWKS_URL"),
    audience: need("BENCH_AUDIENCE"),
    userRole: need("BENCH_USER_ROLE"),
    processes: processCount(env.BENCH_PROCESSES),
  };
}

export interface Claims extends JWTPayload {
  sub: string;
  preferred_username?: string;
  email?: string;
  name?: string;
  realm_access?: { roles?: string[] };
  resource_access?: Record<string, { roles?: string[] } | undefined>;
}

export class Unauthorized extends Error {}

export function bearerVerifier(env: BaselineEnv): (req: Request) => Promise<Claims> {
  const keys = createRemoteJWKSet(new URL(env.jwksUrl));
  return async (req) => {
    const match = /^Bearer (.+)$/.exec(req.headers.authorization ?? "");
    if (!match) throw new Unauthorized("no bearer token");
    try {
      const { payload } = await jwtVerify<Claims>(match[1]!, keys, {
        issuer: env.issuer,
        audience: env.audience,
        algorithms: ["RS256"],
        clockTolerance: 30,
        requiredClaims: ["sub", "exp"],
      });
      return payload;
    } catch (error) {
      throw new Unauthorized((error as Error).message);
    }
  };
}

export interface RequestFacts {
  ip?: string;
  userAgent?: string;
}

/** The same role and settings auth-db gives a request (src/auth/identity.ts pgSettingsFor). */
export function settingsFor(claims: Claims, facts: RequestFacts, userRole: string): Record<string, string> {
  const roles = [...new Set([...(claims.realm_access?.roles ?? []), ...(claims.resource_access?.["auth-db"]?.roles ?? [])])];
  const settings: Record<string, string> = {
    role: userRole,
    "jwt.claims.sub": claims.sub,
    "jwt.claims.preferred_username": claims.preferred_username ?? "",
    "jwt.claims.email": claims.email ?? "",
    "jwt.claims.name": claims.name ?? "",
    "jwt.claims.roles": JSON.stringify(roles),
  };
  if (facts.ip) settings["request.ip"] = facts.ip;
  if (facts.userAgent) settings["request.user_agent"] = facts.userAgent.slice(0, 512);
  return settings;
}

export function requestSettings(claims: Claims, req: Request, userRole: string): Record<string, string> {
  return settingsFor(claims, { ip: req.ip, userAgent: req.headers["user-agent"] }, userRole);
}
