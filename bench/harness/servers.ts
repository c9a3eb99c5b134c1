import path from "node:path";
import type { TestDatabase } from "../../test/helpers/database.js";
import { BYPASS_REALM_ROLE } from "./fixtures.js";
import { benchDir, projectRoot } from "./paths.js";
import { freePort } from "./ports.js";
import { startChildServer } from "./processes.js";

/** A server under load, in a process of its own. */
export interface HttpTarget {
  name: string;
  url: string;
  pid: number;
  logFile: string;
  stop(): Promise<void>;
}

export interface IssuerEndpoints {
  issuer: string;
  jwksUrl: string;
  audience: string;
}

export interface AuthDbLaunch {
  db: TestDatabase;
  issuer: IssuerEndpoints;
  /** The role KEYCLOAK_ROLE_MAPPING lifts the bench's bypass realm role to, on a database that has it. */
  bypassRole?: string;
  logDir: string;
  name?: string;
  /** Route the server's pool elsewhere (through the statement counter). */
  authenticatorUrl?: string;
  /** More configuration for this instance only. */
  extraEnv?: Record<string, string>;
}

async function launch(
  name: string,
  entry: string,
  env: Record<string, string>,
  logDir: string,
): Promise<HttpTarget> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const logFile = path.join(logDir, `${name}.log`);
  const child = await startChildServer(entry, { ...env, PORT: String(port) }, logFile, `${url}/health`);
  return { name, url, pid: child.pid, logFile, stop: child.stop };
}

/**
 * auth-db exactly as `npm start` runs it (src/cli/start.ts), configured the
 * way a deployment would be: NODE_ENV=production (so Grafast skips its
 * development checks), an external database, a Keycloak-like issuer.
 */
export function startAuthDb(options: AuthDbLaunch): Promise<HttpTarget> {
  return launchAuthDb(options.name ?? "auth-db", path.join(projectRoot, "src/cli/start.ts"), options);
}

/** The same auth-db, reading token claims without verifying them: the run that skips verification. */
export function startAuthDbTrustingTokens(options: AuthDbLaunch): Promise<HttpTarget> {
  return launchAuthDb(options.name ?? "auth-db-trusting-tokens", path.join(benchDir, "harness/auth-db-trusting-tokens.ts"), options);
}

function launchAuthDb(name: string, entry: string, options: AuthDbLaunch): Promise<HttpTarget> {
  const { database } = options.db.config;
  return launch(name, entry, {
    NODE_ENV: "production",
    HOST: "127.0.0.1",
    LOG_LEVEL: "warn",
    DATABASE_URL: database.ownerUrl,
    AUTHENTICATOR_PASSWORD: options.db.env.AUTHENTICATOR_PASSWORD!,
    ...(options.authenticatorUrl ? { AUTHENTICATOR_DATABASE_URL: options.authenticatorUrl } : {}),
    KEYCLOAK_ISSUER: options.issuer.issuer,
    KEYCLOAK_AUDIENCE: options.issuer.audience,
    ...(options.bypassRole ? { KEYCLOAK_ROLE_MAPPING: `${BYPASS_REALM_ROLE}=${options.bypassRole}` } : {}),
    ...options.extraEnv,
  }, options.logDir);
}

export interface BaselineLaunch {
  db: TestDatabase;
  issuer: IssuerEndpoints;
  logDir: string;
}

function baselineEnv(options: BaselineLaunch): Record<string, string> {
  const { database } = options.db.config;
  return {
    NODE_ENV: "production",
    BENCH_AUTHENTICATOR_URL: database.authenticatorUrl,
    BENCH_OWNER_URL: database.ownerUrl,
    BENCH_ISSUER: options.issuer.issuer,
    BENCH_JWKS_URL: options.issuer.jwksUrl,
    BENCH_AUDIENCE: options.issuer.audience,
    BENCH_USER_ROLE: database.roles.user,
    BENCH_ANONYMOUS_ROLE: database.roles.anonymous,
  };
}

/**
 * Baseline (a): hand-written express + pg, the same SQL in the same
 * transaction shape; from one process, or from `processes` cluster workers
 * as auth-db serves.
 */
export function startExpressPgBaseline(options: BaselineLaunch, processes = 1): Promise<HttpTarget> {
  const name = processes === 1 ? "express-pg" : `express-pg-${processes}-workers`;
  const env = { ...baselineEnv(options), BENCH_PROCESSES: String(processes) };
  return launch(name, path.join(benchDir, "baselines/express-pg-server.ts"), env, options.logDir);
}

/** Baseline (b): the same RBAC matrix in node-casbin, loaded once at start. */
export function startCasbinBaseline(options: BaselineLaunch): Promise<HttpTarget> {
  return launch("casbin", path.join(benchDir, "baselines/casbin-server.ts"), baselineEnv(options), options.logDir);
}
