/** The seeded resources and actions, and the role→permission matrix the product promises. */
export const RESOURCES = ["users", "auth_config", "audit_logs", "api_gateway", "vault_secrets", "monitoring", "api_keys"];
export const ACTIONS = ["read", "write", "delete", "admin"] as const;

export const EVERY_PERMISSION = RESOURCES.flatMap((resource) => ACTIONS.map((action) => `${resource}:${action}`));

export const SEEDED_MATRIX: Record<string, string[]> = {
  sys_admin: EVERY_PERMISSION,
  sys_operator: [
    "users:read",
    "auth_config:read",
    "auth_config:write",
    "audit_logs:read",
    "api_gateway:read",
    "vault_secrets:read",
    "monitoring:read",
    "monitoring:write",
  ],
  sys_auditor: ["users:read", "auth_config:read", "audit_logs:read", "api_gateway:read", "monitoring:read"],
};
