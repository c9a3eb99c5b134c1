import type pg from "pg";
import { logger } from "../observability/logger.js";

const UNAVAILABLE_CODES = new Set(["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "57P01", "57P02", "57P03", "08000", "08003", "08006"]);

/** Whether an error means "the database cannot be reached right now" rather than a bug. */
export function isDatabaseUnavailable(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === "string" && UNAVAILABLE_CODES.has(code)) return true;
  return error instanceof Error && /timeout exceeded when trying to connect|Connection terminated/i.test(error.message);
}

/**
 * Remembers that the database went away, so requests can be answered 503 at
 * once instead of each waiting for a connection that cannot come; a probe
 * every `probeMs` notices when it is back, with no restart.
 */
export class DatabaseAvailability {
  private probe: NodeJS.Timeout | undefined;

  constructor(
    private readonly pool: pg.Pool,
    private readonly probeMs = 500,
  ) {}

  get isDown(): boolean {
    return this.probe !== undefined;
  }

  /** Looks at an error from anywhere; marks the database down if it says so. */
  report(error: unknown): void {
    if (!isDatabaseUnavailable(error) || this.isDown) return;
    logger.warn({ err: error }, "database unavailable: answering 503 until it is back");
    this.probe = setInterval(() => {
      this.pool.query("select 1").then(
        () => {
          clearInterval(this.probe);
          this.probe = undefined;
          logger.info("database is back");
        },
        () => undefined,
      );
    }, this.probeMs);
    this.probe.unref();
  }

  stop(): void {
    clearInterval(this.probe);
    this.probe = undefined;
  }
}

/** Reports database failures seen while executing GraphQL. */
export function availabilityPlugin(availability: DatabaseAvailability): GraphileConfig.Plugin {
  return {
    name: "AuthDbDatabaseAvailabilityPlugin",
    version: "1.0.0",
    grafast: {
      middleware: {
        async execute(next) {
          const result = await next();
          if ("errors" in result) for (const error of result.errors ?? []) availability.report(error.originalError);
          return result;
        },
      },
    },
  };
}
