import { pino, type Logger } from "pino";

const LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"];

/**
 * An error as a log line needs it: pino's default copies every enumerable
 * property, and node-postgres errors carry their whole client connection.
 */
function serializeError(error: unknown) {
  if (!(error instanceof Error)) return { message: String(error) };
  const { code, detail } = error as Error & { code?: unknown; detail?: unknown };
  return {
    type: error.constructor.name,
    message: error.message,
    ...(typeof code === "string" ? { code } : {}),
    ...(typeof detail === "string" ? { detail } : {}),
    stack: error.stack,
  };
}

/**
 * The server's structured log: JSON lines (pino), or readable lines in
 * development. Level from LOG_LEVEL (default info). Request logs never carry
 * headers, so tokens and API keys cannot reach them; these paths are
 * redacted besides, in case an object holding them is ever logged.
 */
function createLogger(): Logger {
  const level = LEVELS.includes(process.env.LOG_LEVEL ?? "") ? process.env.LOG_LEVEL! : "info";
  const pretty =
    (process.env.LOG_FORMAT ?? (process.env.NODE_ENV === undefined || process.env.NODE_ENV === "development" ? "pretty" : "json")) ===
    "pretty";
  return pino({
    level,
    base: { service: "auth-db" },
    serializers: { err: serializeError },
    redact: {
      paths: ["req.headers.authorization", 'req.headers["x-api-key"]', "req.headers.cookie", "*.token", "*.key", "*.apiKey"],
      censor: "[redacted]",
    },
    ...(pretty ? { transport: { target: "pino-pretty", options: { translateTime: "SYS:HH:MM:ss.l", ignore: "pid,hostname,service" } } } : {}),
  });
}

export const logger = createLogger();
