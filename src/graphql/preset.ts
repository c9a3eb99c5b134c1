import { PgAggregatesPreset } from "@graphile/pg-aggregates";
import type pg from "pg";
import { makePgService } from "postgraphile/adaptors/pg";
import { PostGraphileAmberPreset } from "postgraphile/presets/amber";
import { PostGraphileConnectionFilterPreset } from "postgraphile-plugin-connection-filter";
import type { RoleNames } from "../config/roles.js";
import type { DeniedAttemptLog } from "../audit/denied-attempt-log.js";
import { deniedAttemptsPlugin } from "../audit/denied-attempts.js";
import type { AuthenticatedRequest } from "../http/authentication.js";
import { GraphQLMetricsPlugin } from "../observability/graphql-metrics.js";
import type { SecurityEventQueue } from "../security/event-queue.js";
import { CredentialsRequiredPlugin } from "./credentials-required.js";
import { maskError } from "./errors.js";
import { HasPermissionsInputPlugin } from "./has-permissions-input.js";
import { withRequestTransactions } from "./request-pg-adaptor.js";
import { verifyApiKeyEventsPlugin } from "./verify-api-key-events.js";

export interface PresetOptions {
  /** The authenticator pool: every request runs in its own transaction on it. */
  pool: pg.Pool;
  roles: RoleNames;
  graphiql: boolean;
  /** Largest request body grafserv reads itself (express.json reads the rest). */
  maxRequestBytes?: number;
  securityEvents: SecurityEventQueue;
  /** Where refused mutations are audited, coalesced. */
  deniedAttempts: DeniedAttemptLog;
  /** More plugins, e.g. the server's own instrumentation. */
  plugins?: GraphileConfig.Plugin[];
  /** Rebuild the schema when the database changes (development); needs a superuser. */
  watch?: { superuserConnectionString: string };
}

/** The schema PostGraphile exposes. */
export const EXPOSED_SCHEMAS = ["auth"];

export interface AuthDbPreset {
  preset: GraphileConfig.Preset;
  /** Closes what the preset opened (the schema watcher's LISTEN connection). */
  release(): Promise<void>;
}

/**
 * PostGraphile's configuration: Amber with aggregates and connection filters
 * over the `auth` schema. Every request runs in a transaction as the Postgres
 * role and settings that the authentication middleware chose for it.
 */
export function makePreset(options: PresetOptions): AuthDbPreset {
  const pgService = withRequestTransactions(
    makePgService({
      pool: options.pool,
      schemas: EXPOSED_SCHEMAS,
      superuserConnectionString: options.watch?.superuserConnectionString,
      pubsub: options.watch !== undefined,
    }),
    options.pool,
  );
  const preset: GraphileConfig.Preset = {
    extends: [PostGraphileAmberPreset, PostGraphileConnectionFilterPreset, PgAggregatesPreset],
    plugins: [
      CredentialsRequiredPlugin,
      deniedAttemptsPlugin(options.securityEvents, options.deniedAttempts),
      verifyApiKeyEventsPlugin(options.securityEvents),
      GraphQLMetricsPlugin,
      HasPermissionsInputPlugin,
      ...(options.plugins ?? []),
    ],
    pgServices: [pgService],
    grafserv: {
      graphqlPath: "/graphql",
      graphiqlPath: "/graphiql",
      graphiql: options.graphiql,
      graphiqlOnGraphQLGET: false,
      maxRequestLength: options.maxRequestBytes,
      watch: options.watch !== undefined,
      maskError,
    },
    gather: {
      // Function arguments are required unless they have a default.
      pgStrictFunctions: true,
    },
    grafast: {
      context(requestContext, args) {
        const req = requestContext.expressv4?.req as AuthenticatedRequest | undefined;
        return {
          pgSettings: {
            ...args.contextValue?.pgSettings,
            ...(req?.authDb?.pgSettings ?? { role: options.roles.anonymous }),
          },
        };
      },
    },
  };
  return { preset, release: async () => pgService.release?.() };
}
