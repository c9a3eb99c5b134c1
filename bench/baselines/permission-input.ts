/** Validates the baseline endpoints' input the way GraphQL's types would. */

export const ACTIONS = ["read", "write", "delete", "admin"] as const;
export type Action = (typeof ACTIONS)[number];

export interface PermissionCheck {
  resource: string;
  action: Action;
}

export class BadInput extends Error {}

export function permissionCheck(value: unknown): PermissionCheck {
  const { resource, action } = (value ?? {}) as Record<string, unknown>;
  if (typeof resource !== "string" || !/^[a-z][a-z0-9_]{0,62}$/.test(resource)) {
    throw new BadInput("resource: expected a resource name");
  }
  if (typeof action !== "string" || !(ACTIONS as readonly string[]).includes(action)) {
    throw new BadInput(`action: expected one of ${ACTIONS.join(", ")}`);
  }
  return { resource, action: action as Action };
}

export function permissionChecks(value: unknown): PermissionCheck[] {
  const checks = (value as { checks?: unknown } | null)?.checks;
  if (!Array.isArray(checks)) throw new BadInput("checks: expected a list");
  return checks.map(permissionCheck);
}

/**
 * The checks as a Postgres array literal of auth.permission_check, which is
 * how Grafast passes them ($1::auth.permission_check[]). Safe because
 * permissionCheck admits only [a-z0-9_] names and enum actions.
 */
export function permissionCheckArray(checks: PermissionCheck[]): string {
  return `{${checks.map((check) => `"(${check.resource},${check.action})"`).join(",")}}`;
}
