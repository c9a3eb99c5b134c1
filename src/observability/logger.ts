import { pino, type Logger } from "pino";

const LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"];

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
    redact: {
      paths: ["req.headers.authorization", 'req.headers["x-api-key"]', "req.headers.cookie", "*.token", "*.key", "*.apiKey"],
      censor: "[redacted]",
    },
    ...(pretty ? { transport: { target: "pino-pretty", options: { translateTime: "SYS:HH:MM:ss.l", ignore: "pid,hostname,service" } } } : {}),
  });
}

export const logger = createLogger();
