import os from "node:os";
import { existsSync } from "node:fs";
import path from "node:path";
import dotenv from "dotenv";
import { z } from "zod";
import { roleNamesFor, type RoleNames } from "./roles.js";

/** Where the PostgreSQL that auth-db uses comes from. */
export type DatabaseSource =
  | { kind: "external" }
  | {
      kind: "embedded";
      dataDir: string;
      port: number;
      superuser: string;
      superuserPassword: string;
      /** As root: where binaries and clusters the postgres user could not reach are put. */
      systemDir: string;
    };

export interface DatabaseConfig {
  source: DatabaseSource;
  /** Owner of the schema: graphile-migrate runs as it. */
  ownerUrl: string;
  /** The server's pool: LOGIN, NOINHERIT, may only SET ROLE to the request roles. */
  authenticatorUrl: string;
  /** Superuser (or CREATEROLE + CREATEDB) connection used to create roles and databases. */
  rootUrl?: string;
  /** graphile-migrate's shadow database, for `commit` and `watch` in development. */
  shadowUrl?: string;
  roles: RoleNames;
  databaseName: string;
  /** Connections each serving process opens to the database at most. */
  poolSize: number;
}

/** Who signs the tokens auth-db trusts. */
export type IssuerConfig =
  | {
      kind: "keycloak";
      /** e.g. http://localhost:8080/realms/k1s0; its discovery document names the JWKS. */
      url: string;
      /** When set, a token's `aud` must contain it. */
      audience?: string;
      clockToleranceSeconds: number;
      /**
       * The least time between two JWKS fetch starts (an unknown `kid` asks for
       * one): also how long a key Keycloak rotates in may be refused at most.
       */
      jwksCooldownMs: number;
    }
  | {
      /** Development only: tokens from `npm run token`, signed with a local key. */
      kind: "development";
      keyFile: string;
      clockToleranceSeconds: number;
    };

export interface AuthConfig {
  issuer: IssuerConfig;
  /** The client whose `resource_access` roles count next to the realm roles. */
  clientId: string;
  /** Keycloak role → Postgres role to use instead of the user role; first match wins. */
  roleMapping: Array<{ keycloakRole: string; postgresRole: string }>;
}

/** An S3 bucket (AWS or S3-compatible) for archive exports; credentials come from the AWS SDK's default chain. */
export interface S3ArchiveConfig {
  bucket: string;
  /** An S3-compatible service's URL (MinIO, …); unset = AWS. */
  endpoint?: string;
  region: string;
  /** Prepended to every object key, without leading or trailing slashes. */
  prefix?: string;
  /** Address the bucket in the path rather than the host name (most S3-compatible services need it). */
  forcePathStyle: boolean;
}

export interface LifecycleConfig {
  /** Where archive exports go when no bucket is configured (a local directory). */
  archiveDir: string;
  /** Where archive exports go when set, instead of archiveDir. */
  archiveS3?: S3ArchiveConfig;
  /** Run the graphile-worker schedule inside the server (else: npm run worker). */
  schedulerInServer: boolean;
}

export interface LimitsConfig {
  /** Largest request body accepted, in bytes. */
  maxRequestBytes: number;
  /** Deepest GraphQL selection accepted. */
  maxQueryDepth: number;
  /** Largest GraphQL cost accepted (fields, multiplied by list sizes). */
  maxQueryCost: number;
  /** Most aliased fields (`a: field`) one GraphQL operation may select. */
  maxQueryAliases: number;
  /** Most field selections one GraphQL operation may make, its fragments expanded where used. */
  maxQueryFields: number;
  /** Time a client has to send a request's headers before it gets 408 and its connection is closed. */
  headersTimeoutMs: number;
  /** Time a client has to send a whole request (headers and body) before it gets 408 and its connection is closed. */
  requestTimeoutMs: number;
  /** Send Strict-Transport-Security with this max-age (seconds); unset: not sent. */
  hstsMaxAgeSeconds?: number;
  /** Failed authentications allowed per minute per client address. */
  authFailuresPerMinute: number;
  /** Origins allowed to call from a browser; "*" allows any. */
  corsOrigins: string[];
  /** Express's trust proxy setting: which proxies' X-Forwarded-For to believe for the client ip. */
  trustProxy: boolean | number | string;
}

export interface ObservabilityConfig {
  /** Serve /metrics on the public port (the default outside production). */
  metricsOnPublicPort: boolean;
  /** Serve /metrics on its own port (on 127.0.0.1) as well. */
  metricsPort?: number;
}

export interface AuditConfig {
  /** How often new audit rows are linked into the hash chain. */
  chainIntervalMs: number;
  /**
   * How refusals are recorded: one ACCESS_DENIED row (and one security event)
   * per caller, operation and address per window, with a count; at most
   * maxKeys such keys counted at once, at most maxKeysPerGroup of one client
   * address (an IPv6 one by its /64).
   */
  refusals: { windowMs: number; maxKeys: number; maxKeysPerGroup: number };
}

/** Who may introspect the GraphQL schema: anyone, callers with a valid token or API key, or no one. */
export type IntrospectionPolicy = "everyone" | "authenticated" | "off";

export interface Config {
  nodeEnv: "development" | "test" | "production";
  host: string;
  port: number;
  /** HTTP processes (node:cluster workers); 1 serves from this process alone. */
  webConcurrency: number;
  graphiql: boolean;
  introspection: IntrospectionPolicy;
  database: DatabaseConfig;
  auth: AuthConfig;
  audit: AuditConfig;
  lifecycle: LifecycleConfig;
  limits: LimitsConfig;
  observability: ObservabilityConfig;
}

/** A configuration that cannot run: one line per variable that is wrong. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "ConfigError";
  }
}

const identifier = /^[a-z_][a-z0-9_]*$/;

/** A URL whose scheme is one of `protocols`. */
const urlOf = (protocols: string[], message: string) =>
  z.string().refine(
    (value) => {
      try {
        return protocols.includes(new URL(value).protocol);
      } catch {
        return false;
      }
    },
    { message },
  );

const postgresUrl = urlOf(["postgres:", "postgresql:"], "expected a postgres:// connection string");
const httpUrl = urlOf(["http:", "https:"], "expected an http(s):// URL");

const port = (lowest: number) =>
  z.coerce
    .number({ message: "expected a port number" })
    .int("expected a whole number")
    .min(lowest, `expected a port from ${lowest} to 65535`)
    .max(65535, `expected a port from ${lowest} to 65535`);

/** A whole number within bounds, named by its unit in the error. */
const whole = (min: number, max: number, unit: string) =>
  z.coerce
    .number({ message: `expected a number of ${unit}` })
    .int(`expected a whole number of ${unit}`)
    .min(min, `expected ${min} to ${max} ${unit}`)
    .max(max, `expected ${min} to ${max} ${unit}`);

const flag = z
  .enum(["true", "false", "1", "0"], { message: "expected true or false" })
  .transform((v) => v === "true" || v === "1");

const roleMapping = z
  .string()
  .transform((value, ctx) => {
    const pairs = value.split(",").map((pair) => pair.trim()).filter(Boolean);
    const mapping: AuthConfig["roleMapping"] = [];
    for (const pair of pairs) {
      const match = /^([^=\s]+)=([a-z_][a-z0-9_]*)$/.exec(pair);
      if (!match) {
        ctx.addIssue({ code: "custom", message: `expected keycloak_role=postgres_role pairs separated by commas, got "${pair}"` });
        return z.NEVER;
      }
      mapping.push({ keycloakRole: match[1]!, postgresRole: match[2]! });
    }
    return mapping;
  });

const envSchema = z.object({
  NODE_ENV: z
    .enum(["development", "test", "production"], {
      message: "expected development, test or production",
    })
    .default("development"),
  HOST: z.string().min(1).default("0.0.0.0"),
  PORT: port(0).default(3000),
  WEB_CONCURRENCY: whole(1, 64, "processes").optional(),
  DATABASE_POOL_SIZE: whole(1, 1000, "connections").default(10),
  GRAPHIQL: flag.optional(),
  DATABASE_URL: postgresUrl.optional(),
  AUTHENTICATOR_DATABASE_URL: postgresUrl.optional(),
  ROOT_DATABASE_URL: postgresUrl.optional(),
  SHADOW_DATABASE_URL: postgresUrl.optional(),
  DATABASE_NAME: z
    .string()
    .regex(identifier, "expected lower-case letters, digits and _")
    .max(40, "expected at most 40 characters")
    .default("auth_db"),
  DATABASE_ROLE_PREFIX: z
    .string()
    .regex(identifier, "expected lower-case letters, digits and _")
    .max(40, "expected at most 40 characters")
    .optional(),
  DATABASE_OWNER_PASSWORD: z.string().min(1).optional(),
  AUTHENTICATOR_PASSWORD: z.string().min(1).optional(),
  EMBEDDED_PG_DIR: z.string().min(1).default(".data/postgres"),
  EMBEDDED_PG_PORT: port(1).default(54320),
  EMBEDDED_PG_PASSWORD: z.string().min(1).optional(),
  EMBEDDED_PG_ALLOWED: flag.optional(),
  EMBEDDED_PG_SYSTEM_DIR: z.string().min(1).default("/var/lib/auth-db"),
  KEYCLOAK_ISSUER: httpUrl.transform((url) => url.replace(/\/+$/, "")).optional(),
  KEYCLOAK_AUDIENCE: z.string().min(1).optional(),
  KEYCLOAK_CLIENT_ID: z.string().min(1).default("auth-db"),
  KEYCLOAK_ROLE_MAPPING: roleMapping.optional(),
  KEYCLOAK_CLOCK_SKEW_SECONDS: z.coerce
    .number({ message: "expected a number of seconds" })
    .int("expected a whole number of seconds")
    .min(0, "expected 0 to 300 seconds")
    .max(300, "expected 0 to 300 seconds")
    .default(30),
  KEYCLOAK_JWKS_COOLDOWN_MS: z.coerce
    .number({ message: "expected milliseconds" })
    .int("expected whole milliseconds")
    .min(0, "expected 0 to 60000 milliseconds")
    .max(60_000, "expected 0 to 60000 milliseconds")
    .default(5_000),
  DEV_ISSUER_KEY_FILE: z.string().min(1).default(".data/dev-issuer-key.json"),
  AUDIT_CHAIN_INTERVAL_MS: z.coerce
    .number({ message: "expected milliseconds" })
    .int("expected whole milliseconds")
    .min(50, "expected 50 to 60000 milliseconds")
    .max(60_000, "expected 50 to 60000 milliseconds")
    .default(1000),
  REFUSAL_RECORD_WINDOW_MS: z.coerce
    .number({ message: "expected milliseconds" })
    .int("expected whole milliseconds")
    .min(10, "expected 10 to 3600000 milliseconds")
    .max(3_600_000, "expected 10 to 3600000 milliseconds")
    .default(60_000),
  REFUSAL_RECORD_MAX_KEYS: whole(1, 1_000_000, "keys").default(10_000),
  REFUSAL_RECORD_MAX_KEYS_PER_ADDRESS: whole(1, 1_000_000, "keys").default(100),
  ARCHIVE_DIR: z.string().min(1).default(".data/archive"),
  ARCHIVE_S3_BUCKET: z
    .string()
    .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, "expected a bucket name: 3 to 63 lower-case letters, digits, dots and hyphens (no s3:// or path)")
    .optional(),
  ARCHIVE_S3_ENDPOINT: httpUrl.optional(),
  ARCHIVE_S3_REGION: z.string().regex(/^[a-z0-9-]+$/, "expected a region name like us-east-1").optional(),
  ARCHIVE_S3_PREFIX: z
    .string()
    .transform((prefix) => prefix.replace(/^\/+|\/+$/g, ""))
    .refine((prefix) => prefix.split("/").every((part) => part !== "" && part !== "." && part !== ".."), {
      message: "expected key segments separated by single slashes, like auth-db/production",
    })
    .optional(),
  ARCHIVE_S3_FORCE_PATH_STYLE: flag.optional(),
  SCHEDULER_IN_SERVER: flag.optional(),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"], {
    message: "expected fatal, error, warn, info, debug, trace or silent",
  }).optional(),
  LOG_FORMAT: z.enum(["json", "pretty"], { message: "expected json or pretty" }).optional(),
  METRICS_PUBLIC: flag.optional(),
  METRICS_PORT: port(1).optional(),
  MAX_REQUEST_BYTES: whole(1024, 10 * 1024 * 1024, "bytes").default(100 * 1024),
  GRAPHQL_MAX_DEPTH: whole(2, 100, "levels").default(15),
  GRAPHQL_MAX_COST: whole(10, 10_000_000, "cost units").default(100_000),
  GRAPHQL_MAX_ALIASES: whole(0, 10_000, "aliases").default(30),
  GRAPHQL_MAX_FIELDS: whole(1, 100_000, "fields").default(500),
  GRAPHQL_INTROSPECTION: z
    .enum(["everyone", "authenticated", "off"], { message: "expected everyone, authenticated or off" })
    .optional(),
  HTTP_HEADERS_TIMEOUT_MS: whole(100, 600_000, "milliseconds").default(10_000),
  HTTP_REQUEST_TIMEOUT_MS: whole(100, 3_600_000, "milliseconds").default(30_000),
  HSTS_MAX_AGE: whole(0, 63_072_000, "seconds").optional(),
  AUTH_FAILURES_PER_MINUTE: whole(1, 100_000, "failures").default(30),
  CORS_ORIGINS: z
    .string()
    .transform((value) => value.split(",").map((origin) => origin.trim()).filter(Boolean))
    .refine((origins) => origins.every((origin) => origin === "*" || /^https?:\/\/[^/\s]+$/.test(origin)), {
      message: "expected * or origins like https://app.example.com, separated by commas",
    })
    .optional(),
  DATABASE_SSL_CA_FILE: z.string().min(1).optional(),
  TRUST_PROXY: z
    .string()
    .transform((value) => (value === "true" ? true : value === "false" ? false : /^\d+$/.test(value) ? Number(value) : value))
    .optional(),
});

type Env = z.infer<typeof envSchema>;

/** Development defaults; production must set its own secrets. */
const DEV_OWNER_PASSWORD = "auth_db_owner_dev";
const DEV_AUTHENTICATOR_PASSWORD = "auth_db_authenticator_dev";
const DEV_EMBEDDED_SUPERUSER_PASSWORD = "postgres";

/** The passwords this README documents as defaults: public knowledge, so production refuses each of them anywhere. */
const DOCUMENTED_PASSWORDS = new Set([DEV_OWNER_PASSWORD, DEV_AUTHENTICATOR_PASSWORD, DEV_EMBEDDED_SUPERUSER_PASSWORD]);

/** The password in a connection string, in its user-info or as a `password` parameter. */
function passwordsIn(url: string): string[] {
  const u = new URL(url);
  return [decodeURIComponent(u.password), ...u.searchParams.getAll("password")].filter(Boolean);
}

/**
 * NODE_ENV=production refuses the documented development passwords wherever
 * they appear: set explicitly as a password variable, or inside a
 * connection string.
 */
function documentedPasswordProblems(env: Env): string[] {
  if (env.NODE_ENV !== "production") return [];
  const problems: string[] = [];
  for (const key of ["DATABASE_OWNER_PASSWORD", "AUTHENTICATOR_PASSWORD", "EMBEDDED_PG_PASSWORD"] as const) {
    const value = env[key];
    if (value !== undefined && DOCUMENTED_PASSWORDS.has(value)) {
      problems.push(`${key}: a documented development default, refused in production; set a secret of your own`);
    }
  }
  for (const key of ["DATABASE_URL", "AUTHENTICATOR_DATABASE_URL", "ROOT_DATABASE_URL", "SHADOW_DATABASE_URL"] as const) {
    const url = env[key];
    if (url !== undefined && passwordsIn(url).some((password) => DOCUMENTED_PASSWORDS.has(password))) {
      problems.push(`${key}: its password is a documented development default, refused in production; set a secret of your own`);
    }
  }
  return problems;
}

function withCredentials(url: string, user: string, password: string, database?: string): string {
  const u = new URL(url);
  u.username = encodeURIComponent(user);
  u.password = encodeURIComponent(password);
  if (database) u.pathname = `/${database}`;
  return u.toString();
}

/**
 * With DATABASE_SSL_CA_FILE, every connection verifies the server's
 * certificate against that CA (sslmode=verify-full) unless its URL already
 * says how to use TLS.
 */
function withTls(url: string, caFile: string | undefined): string {
  if (!caFile) return url;
  const u = new URL(url);
  if (!u.searchParams.has("sslmode")) u.searchParams.set("sslmode", "verify-full");
  if (!u.searchParams.has("sslrootcert")) u.searchParams.set("sslrootcert", caFile);
  return u.toString();
}

function databaseNameOf(url: string): string {
  return decodeURIComponent(new URL(url).pathname.replace(/^\//, ""));
}

function sanitizeIdentifier(name: string): string {
  const cleaned = name.toLowerCase().replace(/[^a-z0-9_]/g, "_");
  return /^[a-z_]/.test(cleaned) ? cleaned : `_${cleaned}`;
}

function secret(
  env: Env,
  key: "DATABASE_OWNER_PASSWORD" | "AUTHENTICATOR_PASSWORD",
  devDefault: string,
  problems: string[],
): string {
  const value = env[key];
  if (value) return value;
  if (env.NODE_ENV === "production") {
    problems.push(`${key}: required in production`);
  }
  return devDefault;
}

function resolveDatabase(env: Env, cwd: string, problems: string[]): Omit<DatabaseConfig, "poolSize"> | undefined {
  if (env.DATABASE_URL) {
    const databaseName = databaseNameOf(env.DATABASE_URL);
    if (!databaseName) {
      problems.push("DATABASE_URL: expected a database name in the path");
      return undefined;
    }
    const roles = roleNamesFor(env.DATABASE_ROLE_PREFIX ?? sanitizeIdentifier(databaseName));
    const authenticatorUrl =
      env.AUTHENTICATOR_DATABASE_URL ??
      withCredentials(
        env.DATABASE_URL,
        roles.authenticator,
        secret(env, "AUTHENTICATOR_PASSWORD", DEV_AUTHENTICATOR_PASSWORD, problems),
      );
    return {
      source: { kind: "external" },
      ownerUrl: env.DATABASE_URL,
      authenticatorUrl,
      rootUrl: env.ROOT_DATABASE_URL,
      shadowUrl: env.SHADOW_DATABASE_URL,
      roles,
      databaseName,
    };
  }

  if (env.NODE_ENV === "production" && env.EMBEDDED_PG_ALLOWED !== true) {
    problems.push(
      "DATABASE_URL: required in production (or set EMBEDDED_PG_ALLOWED=true to run the embedded PostgreSQL)",
    );
  } else if (env.NODE_ENV === "production" && env.EMBEDDED_PG_PASSWORD === undefined) {
    problems.push(
      `EMBEDDED_PG_PASSWORD: required in production with the embedded database (else its superuser is postgres/${DEV_EMBEDDED_SUPERUSER_PASSWORD})`,
    );
  }
  const superuserPassword = env.EMBEDDED_PG_PASSWORD ?? DEV_EMBEDDED_SUPERUSER_PASSWORD;
  const databaseName = env.DATABASE_NAME;
  const roles = roleNamesFor(env.DATABASE_ROLE_PREFIX ?? databaseName);
  const base = `postgres://127.0.0.1:${env.EMBEDDED_PG_PORT}/`;
  const ownerPassword = secret(env, "DATABASE_OWNER_PASSWORD", DEV_OWNER_PASSWORD, problems);
  const authenticatorPassword = secret(
    env,
    "AUTHENTICATOR_PASSWORD",
    DEV_AUTHENTICATOR_PASSWORD,
    problems,
  );
  return {
    source: {
      kind: "embedded",
      dataDir: path.resolve(cwd, env.EMBEDDED_PG_DIR),
      port: env.EMBEDDED_PG_PORT,
      superuser: "postgres",
      superuserPassword,
      systemDir: path.resolve(cwd, env.EMBEDDED_PG_SYSTEM_DIR),
    },
    ownerUrl: withCredentials(base, roles.owner, ownerPassword, databaseName),
    authenticatorUrl: withCredentials(base, roles.authenticator, authenticatorPassword, databaseName),
    rootUrl: withCredentials(base, "postgres", superuserPassword, "postgres"),
    shadowUrl:
      env.NODE_ENV === "production"
        ? undefined
        : withCredentials(base, roles.owner, ownerPassword, `${databaseName}_shadow`),
    roles,
    databaseName,
  };
}

/** The archive bucket, when ARCHIVE_S3_BUCKET is set; its other settings alone would be silently ignored, so they are refused. */
function resolveArchiveS3(env: Env, problems: string[]): S3ArchiveConfig | undefined {
  if (!env.ARCHIVE_S3_BUCKET) {
    for (const key of ["ARCHIVE_S3_ENDPOINT", "ARCHIVE_S3_REGION", "ARCHIVE_S3_PREFIX", "ARCHIVE_S3_FORCE_PATH_STYLE"] as const) {
      if (env[key] !== undefined) problems.push(`${key}: only used with ARCHIVE_S3_BUCKET, which is not set`);
    }
    return undefined;
  }
  return {
    bucket: env.ARCHIVE_S3_BUCKET,
    endpoint: env.ARCHIVE_S3_ENDPOINT,
    region: env.ARCHIVE_S3_REGION ?? "us-east-1",
    prefix: env.ARCHIVE_S3_PREFIX,
    forcePathStyle: env.ARCHIVE_S3_FORCE_PATH_STYLE ?? false,
  };
}

function resolveIssuer(env: Env, cwd: string, problems: string[]): IssuerConfig {
  if (env.KEYCLOAK_ISSUER) {
    if (env.NODE_ENV === "production" && !env.KEYCLOAK_AUDIENCE) {
      problems.push(
        "KEYCLOAK_AUDIENCE: required in production (else tokens Keycloak issued to any client of the realm are accepted; add an audience mapper for auth-db's client)",
      );
    }
    return {
      kind: "keycloak",
      url: env.KEYCLOAK_ISSUER,
      audience: env.KEYCLOAK_AUDIENCE,
      clockToleranceSeconds: env.KEYCLOAK_CLOCK_SKEW_SECONDS,
      jwksCooldownMs: env.KEYCLOAK_JWKS_COOLDOWN_MS,
    };
  }
  if (env.NODE_ENV === "production") {
    problems.push("KEYCLOAK_ISSUER: required in production (the development token issuer is refused)");
  }
  return {
    kind: "development",
    keyFile: path.resolve(cwd, env.DEV_ISSUER_KEY_FILE),
    clockToleranceSeconds: env.KEYCLOAK_CLOCK_SKEW_SECONDS,
  };
}

/**
 * What a configuration allows but production should not rely on, one line
 * each, for the server to log at start (a refusal would be too strict: an
 * http:// issuer can be right on a private network to Keycloak).
 */
export function configWarnings(config: Config): string[] {
  const warnings: string[] = [];
  const { issuer } = config.auth;
  if (config.nodeEnv === "production" && issuer.kind === "keycloak" && issuer.url.startsWith("http://")) {
    warnings.push(
      "KEYCLOAK_ISSUER: http:// in production: the signing keys are fetched without TLS, so whoever sits on the path can make tokens; use https:// unless that network is trusted",
    );
  }
  return warnings;
}

/** WEB_CONCURRENCY's default in production: one serving process per CPU, at most 64 (elsewhere it is one). */
export function productionProcesses(): number {
  return Math.min(64, os.availableParallelism());
}

/**
 * Reads and validates auth-db's configuration from the environment (and,
 * outside production, from a `.env` file in the working directory, which
 * never overrides a variable already set). Every problem is collected so
 * that one failed start names all of them.
 */
export function loadConfig(source?: NodeJS.ProcessEnv, cwd: string = process.cwd()): Config {
  if (source === undefined) {
    if (process.env.NODE_ENV !== "production") dotenv.config({ path: path.join(cwd, ".env"), quiet: true });
    return loadConfig(process.env, cwd);
  }
  const nonEmpty = Object.fromEntries(
    Object.entries(source).filter(([, value]) => value !== undefined && value !== ""),
  );
  const parsed = envSchema.safeParse(nonEmpty);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`),
    );
  }
  const env = parsed.data;
  const problems: string[] = documentedPasswordProblems(env);
  const caFile = env.DATABASE_SSL_CA_FILE ? path.resolve(cwd, env.DATABASE_SSL_CA_FILE) : undefined;
  if (caFile && !existsSync(caFile)) problems.push(`DATABASE_SSL_CA_FILE: no file at ${caFile}`);
  const resolved = resolveDatabase(env, cwd, problems);
  const database: DatabaseConfig | undefined = resolved && {
    ...resolved,
    poolSize: env.DATABASE_POOL_SIZE,
    ownerUrl: withTls(resolved.ownerUrl, caFile),
    authenticatorUrl: withTls(resolved.authenticatorUrl, caFile),
    rootUrl: resolved.rootUrl && withTls(resolved.rootUrl, caFile),
    shadowUrl: resolved.shadowUrl && withTls(resolved.shadowUrl, caFile),
  };
  const issuer = resolveIssuer(env, cwd, problems);
  const archiveS3 = resolveArchiveS3(env, problems);
  if (env.HTTP_REQUEST_TIMEOUT_MS < env.HTTP_HEADERS_TIMEOUT_MS) {
    problems.push(
      `HTTP_REQUEST_TIMEOUT_MS: expected at least HTTP_HEADERS_TIMEOUT_MS (${env.HTTP_HEADERS_TIMEOUT_MS}), since the whole request includes its headers`,
    );
  }
  if (problems.length > 0 || !database) throw new ConfigError(problems);
  return {
    nodeEnv: env.NODE_ENV,
    host: env.HOST,
    port: env.PORT,
    webConcurrency: env.WEB_CONCURRENCY ?? (env.NODE_ENV === "production" ? productionProcesses() : 1),
    graphiql: env.GRAPHIQL ?? env.NODE_ENV !== "production",
    introspection: env.GRAPHQL_INTROSPECTION ?? (env.NODE_ENV === "production" ? "authenticated" : "everyone"),
    database,
    auth: {
      issuer,
      clientId: env.KEYCLOAK_CLIENT_ID,
      roleMapping: env.KEYCLOAK_ROLE_MAPPING ?? [],
    },
    audit: {
      chainIntervalMs: env.AUDIT_CHAIN_INTERVAL_MS,
      refusals: {
        windowMs: env.REFUSAL_RECORD_WINDOW_MS,
        maxKeys: env.REFUSAL_RECORD_MAX_KEYS,
        maxKeysPerGroup: env.REFUSAL_RECORD_MAX_KEYS_PER_ADDRESS,
      },
    },
    lifecycle: {
      archiveDir: path.resolve(cwd, env.ARCHIVE_DIR),
      archiveS3,
      schedulerInServer: env.SCHEDULER_IN_SERVER ?? true,
    },
    limits: {
      maxRequestBytes: env.MAX_REQUEST_BYTES,
      maxQueryDepth: env.GRAPHQL_MAX_DEPTH,
      maxQueryCost: env.GRAPHQL_MAX_COST,
      maxQueryAliases: env.GRAPHQL_MAX_ALIASES,
      maxQueryFields: env.GRAPHQL_MAX_FIELDS,
      headersTimeoutMs: env.HTTP_HEADERS_TIMEOUT_MS,
      requestTimeoutMs: env.HTTP_REQUEST_TIMEOUT_MS,
      hstsMaxAgeSeconds: env.HSTS_MAX_AGE,
      authFailuresPerMinute: env.AUTH_FAILURES_PER_MINUTE,
      corsOrigins: env.CORS_ORIGINS ?? (env.NODE_ENV === "production" ? [] : ["*"]),
      trustProxy: env.TRUST_PROXY ?? false,
    },
    observability: {
      metricsOnPublicPort: env.METRICS_PUBLIC ?? env.NODE_ENV !== "production",
      metricsPort: env.METRICS_PORT,
    },
  };
}
