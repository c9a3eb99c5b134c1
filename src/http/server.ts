import http from "node:http";
import type { AddressInfo } from "node:net";
import express from "express";
import type pg from "pg";
import { postgraphile } from "postgraphile";
import { grafserv } from "postgraphile/grafserv/express/v4";
import { apiKeyVerifier } from "../auth/api-key-verifier.js";
import { UserSync } from "../auth/user-sync.js";
import { verifierFor } from "../auth/verifier-for-config.js";
import type { AuthConfig } from "../config/config.js";
import type { RoleNames } from "../config/roles.js";
import { registry } from "../observability/metrics.js";
import type { SecurityEventQueue } from "../security/event-queue.js";
import { makePreset } from "../graphql/preset.js";
import { authentication } from "./authentication.js";
import { errorHandler } from "./error-handler.js";
import { healthHandler, type HealthOptions } from "./health.js";

export interface HttpServerOptions {
  pool: pg.Pool;
  roles: RoleNames;
  auth: AuthConfig;
  host: string;
  port: number;
  graphiql: boolean;
  /** Serve /metrics on this server (outside production by default). */
  metrics: boolean;
  health: HealthOptions;
  securityEvents: SecurityEventQueue;
  watch?: { superuserConnectionString: string };
}

export interface RunningHttpServer {
  /** The port actually bound (useful with port 0). */
  port: number;
  url: string;
  /** Stops accepting connections, finishes in-flight requests, releases PostGraphile. */
  close(): Promise<void>;
}

/** Serves /health, /graphql and (outside production) /graphiql. */
export async function startHttpServer(options: HttpServerOptions): Promise<RunningHttpServer> {
  const app = express();
  app.disable("x-powered-by");
  app.get("/health", healthHandler(options.pool, options.health));
  if (options.metrics) {
    app.get("/metrics", async (_req, res) => {
      res.type(registry.contentType).send(await registry.metrics());
    });
  }
  app.use(
    "/graphql",
    authentication({
      verifier: verifierFor(options.auth.issuer),
      verifyApiKey: apiKeyVerifier(options.pool),
      userSync: new UserSync(options.pool),
      securityEvents: options.securityEvents,
      auth: options.auth,
      roles: options.roles,
    }),
  );

  const server = http.createServer(app);
  const { preset, release } = makePreset(options);
  const pgl = postgraphile(preset);
  const serv = pgl.createServ(grafserv);
  await serv.addTo(app, server);
  app.use(errorHandler);
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
      await new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeIdleConnections();
      });
      await pgl.release();
      await release();
    },
  };
}
