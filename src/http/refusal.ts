import type { Response } from "express";
import { SafeError } from "postgraphile/grafast";
import { requestRefusals } from "../observability/metrics.js";

/**
 * Answers a refused request the way GraphQL clients read errors:
 * `{ errors: [{ message, extensions: { code, … } }] }`, with the HTTP status
 * that says what kind of refusal it is.
 */
export function sendGraphQLError(
  res: Response,
  status: number,
  message: string,
  extensions: Record<string, string | number>,
  headers: Record<string, string> = {},
): void {
  res.status(status).set(headers).json({ errors: [{ message, extensions }] });
}

/** A limit's refusal: a 4xx (or 503) with a machine-readable code, counted by reason. */
export function refuse(res: Response, status: number, code: string, message: string, headers: Record<string, string> = {}): void {
  requestRefusals.inc({ reason: code });
  sendGraphQLError(res, status, message, { code }, headers);
}

/**
 * The same refusal raised inside grafserv (thrown from its request hooks):
 * grafserv answers it as `{ errors: [{ message, extensions: { code, statusCode } }] }`
 * with the status given.
 */
export function refusal(status: number, code: string, message: string): SafeError {
  requestRefusals.inc({ reason: code });
  return new SafeError(message, { statusCode: status, code });
}
