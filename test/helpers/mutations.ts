import { graphql } from "./http.js";

/** The permission-changing mutations, as a client sends them. */
export const MUTATIONS = {
  assignRole: `mutation ($userId: UUID!, $roleName: String!) {
    assignRole(input: { userId: $userId, roleName: $roleName }) { result { roleId } } }`,
  revokeRole: `mutation ($userId: UUID!, $roleName: String!) {
    revokeRole(input: { userId: $userId, roleName: $roleName }) { result } }`,
  grantPermission: `mutation ($roleName: String!, $resource: String!, $action: PermissionAction!) {
    grantPermission(input: { roleName: $roleName, resource: $resource, action: $action }) { result { roleId } } }`,
  revokePermission: `mutation ($roleName: String!, $resource: String!, $action: PermissionAction!) {
    revokePermission(input: { roleName: $roleName, resource: $resource, action: $action }) { result } }`,
  deleteRole: `mutation ($name: String!) { deleteRole(input: { name: $name }) { result } }`,
  updateUser: `mutation ($userId: UUID!, $status: UserStatus) {
    updateUser(input: { userId: $userId, status: $status }) { result { status } } }`,
  deleteUser: `mutation ($userId: UUID!) { deleteUser(input: { userId: $userId }) { result } }`,
  revokeApiKey: `mutation ($id: UUID!) { revokeApiKey(input: { id: $id }) { result { isActive } } }`,
  rotateApiKey: `mutation ($id: UUID!) { rotateApiKey(input: { id: $id, graceSeconds: 0 }) { result { keyId } } }`,
} as const;

/**
 * Sends one of MUTATIONS with `headers`; answers the first error's message,
 * or null when it went through.
 */
export async function attempt(
  url: string,
  headers: Record<string, string>,
  mutation: keyof typeof MUTATIONS,
  variables: Record<string, unknown>,
): Promise<string | null> {
  const { body } = await graphql(url, MUTATIONS[mutation], variables, headers);
  return body.errors?.[0]?.message ?? null;
}

/** What a caller holds, as sorted `resource:action` strings (admin expanded), asked through GraphQL. */
export async function heldBy(url: string, headers: Record<string, string>): Promise<string[]> {
  const { body } = await graphql<{ currentPermissions: { nodes: Array<{ resource: string; action: string }> } }>(
    url,
    "{ currentPermissions { nodes { resource action } } }",
    {},
    headers,
  );
  if (body.errors) throw new Error(body.errors[0]!.message);
  return body.data!.currentPermissions.nodes.map((node) => `${node.resource}:${node.action}`).sort();
}
