import http from "node:http";
import type { AddressInfo } from "node:net";
import express from "express";
import type pg from "pg";
import { postgraphile } from "postgraphile";
import { grafserv } from "postgraphile/grafserv/express/v4";
import { apiKeyVerifier } from "../auth/api-key-verifier.js";
import { UserSync } from "../auth/user-sync.js";
import type { TokenVerifier } from "../auth/token-verifier.js";
import { verifierFor } from "../auth/verifier-for-config.js";
import type { AuthConfig, IntrospectionPolicy, LimitsConfig } from "../config/config.js";
import type { RoleNames } from "../config/roles.js";
import { availabilityPlugin, type DatabaseAvailability } from "../db/availability.js";
import { registry } from "../observability/metrics.js";
import type { SecurityEventQueue } from "../security/event-queue.js";
import type { DeniedAttemptLog } from "../audit/denied-attempt-log.js";
import { makePreset } from "../graphql/preset.js";
import { authentication } from "./authentication.js";
import { validatedClientAddress } from "./client-address.js";
import { corsPolicy } from "./cors-policy.js";
import { databaseGate } from "./database-gate.js";
import { errorHandler } from "./error-handler.js";
import { failedAuthenticationLimits } from "./failed-auth-limit.js";
import { gracefulClose } from "./graceful-close.js";
import { healthHandler, type HealthOptions } from "./health.js";
import { introspectionPolicyPlugin } from "./introspection-policy.js";
import { queryLimitsPlugin } from "./query-limits.js";
import { requestLog } from "./request-log.js";
import { noStore, securityHeaders } from "./security-headers.js";

export interface HttpServerOptions {
  pool: pg.Pool;
  roles: RoleNames;
  auth: AuthConfig;
  host: string;
  port: number;
  graphiql: boolean;
  /** Who may introspect the schema. */
  introspection: IntrospectionPolicy;
  /** Serve /metrics on this server (outside production by default). */
  metrics: boolean;
  health: HealthOptions;
  limits: LimitsConfig;
  availability: DatabaseAvailability;
  securityEvents: SecurityEventQueue;
  /** Where refused mutations are audited, coalesced. */
  deniedAttempts: DeniedAttemptLog;
  watch?: { superuserConnectionString: string };
  /** Checks bearer tokens instead of the configured issuer's verifier (the benchmark's run without signature checks). */
  tokenVerifier?: TokenVerifier;
}

export interface RunningHttpServer {
  /** The port actually bound (useful with port 0). */
  port: number;
  url: string;
  /** Stops accepting connections, finishes in-flight requests, releases PostGraphile. */
  close(): Promise<void>;
}

/**
 * Serves /health, /metrics (when enabled), /graphiql (outside production)
 * and /graphql behind, in order: no-store, CORS, the failed-authentication
 * brakes, the body size limit, the database gate and authentication; then,
 * inside grafserv on the decoded request whatever its transport, the
 * introspection policy and the depth, alias and cost limits. Every response
 * carries the security headers. A client that is slow to send its headers or
 * its request is answered 408 and disconnected.
 */
export async function startHttpServer(options: HttpServerOptions): Promise<RunningHttpServer> {
  const app = express();
  app.disable("x-powered-by");
  app.set("trust proxy", options.limits.trustProxy);
  validatedClientAddress(app);
  app.use(securityHeaders(options.limits.hstsMaxAgeSeconds));
  app.use(requestLog());
  app.get("/health", healthHandler(options.pool, options.health));
  if (options.metrics) {
    app.get("/metrics", async (_req, res) => {
      res.type(registry.contentType).send(await registry.metrics());
    });
  }

  const server = http.createServer(
    {
      headersTimeout: options.limits.headersTimeoutMs,
      requestTimeout: options.limits.requestTimeoutMs,
      // How often Node looks for connections past those timeouts (its default is 30 s).
      connectionsCheckingInterval: Math.min(1000, options.limits.headersTimeoutMs),
    },
    app,
  );
  const closeServer = gracefulClose(server);
  const limits = {
    maxDepth: options.limits.maxQueryDepth,
    maxCost: options.limits.maxQueryCost,
    maxAliases: options.limits.maxQueryAliases,
    maxFields: options.limits.maxQueryFields,
  };
  const { preset, release } = makePreset({
    ...options,
    maxRequestBytes: options.limits.maxRequestBytes,
    plugins: [
      availabilityPlugin(options.availability),
      introspectionPolicyPlugin(options.introspection),
      queryLimitsPlugin(() => pgl.getSchema(), limits),
    ],
  });
  const pgl = postgraphile(preset);
  app.use(
    "/graphql",
    noStore(),
    corsPolicy(options.limits.corsOrigins),
    failedAuthenticationLimits(options.limits.authFailuresPerMinute),
    // grafserv accepts exactly these two media types; reading both here gives
    // every body the same size limit and the same refusals.
    express.json({ limit: options.limits.maxRequestBytes, type: ["application/json", "application/graphql-response+json"] }),
    express.text({ limit: options.limits.maxRequestBytes, type: "application/graphql" }),
    databaseGate(options.availability),
    authentication({
      verifier: options.tokenVerifier ?? verifierFor(options.auth.issuer),
      verifyApiKey: apiKeyVerifier(options.pool, options.securityEvents),
      userSync: new UserSync(options.pool),
      securityEvents: options.securityEvents,
      auth: options.auth,
      roles: options.roles,
    }),
  );
  const serv = pgl.createServ(grafserv);
  await serv.addTo(app, server);
  app.use(errorHandler(options.availability));
  // Build the schema now so that a broken schema fails the start, not the first request.
  await pgl.getSchema();

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const host = options.host === "0.0.0.0" ? "localhost" : options.host;

  return {
    port,
    url: `http://${host}:${port}`,
    async close() {
      await closeServer();
      await pgl.release();
      await release();
    },
  };
}
