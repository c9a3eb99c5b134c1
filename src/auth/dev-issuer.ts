import { createHash, randomUUID } from "node:crypto";
import fs from "node:fs/promises";
import path from "node:path";
import {
  calculateJwkThumbprint,
  createLocalJWKSet,
  exportJWK,
  generateKeyPair,
  importJWK,
  SignJWT,
  type JWK,
  type JWTVerifyGetKey,
} from "jose";

/**
 * Development only: a local stand-in for Keycloak, so GraphiQL can be
 * explored with real tokens before a realm exists. The server trusts it only
 * when KEYCLOAK_ISSUER is unset and NODE_ENV is not production.
 */
export const DEV_ISSUER = "urn:auth-db:dev-issuer";
export const DEV_AUDIENCE = "auth-db";

interface StoredKey {
  privateJwk: JWK;
  publicJwk: JWK;
}

/** Loads the development signing key, creating it (owner-readable only) on first use. */
async function loadOrCreateKey(keyFile: string): Promise<StoredKey> {
  try {
    return JSON.parse(await fs.readFile(keyFile, "utf8")) as StoredKey;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
  }
  const { privateKey, publicKey } = await generateKeyPair("RS256", { extractable: true });
  const publicJwk = await exportJWK(publicKey);
  const kid = await calculateJwkThumbprint(publicJwk);
  const stored: StoredKey = {
    privateJwk: { ...(await exportJWK(privateKey)), kid, alg: "RS256" },
    publicJwk: { ...publicJwk, kid, alg: "RS256", use: "sig" },
  };
  await fs.mkdir(path.dirname(keyFile), { recursive: true });
  await fs.writeFile(keyFile, JSON.stringify(stored), { mode: 0o600, flag: "wx" }).catch(async (error) => {
    // Another process created it first: use theirs.
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
  });
  return JSON.parse(await fs.readFile(keyFile, "utf8")) as StoredKey;
}

/** The verification keys of the development issuer. */
export function devIssuerKeys(keyFile: string): () => Promise<JWTVerifyGetKey> {
  let keys: Promise<JWTVerifyGetKey> | undefined;
  return () => {
    keys ??= loadOrCreateKey(keyFile).then((stored) => createLocalJWKSet({ keys: [stored.publicJwk] }));
    return keys;
  };
}

export interface DevTokenRequest {
  username: string;
  /** Defaults to a UUID derived from the username, so repeated tokens name the same person. */
  sub?: string;
  email?: string;
  realmRoles?: string[];
  clientId: string;
  expiresInSeconds?: number;
}

function subFor(username: string): string {
  const hex = createHash("sha256").update(`auth-db-dev:${username}`).digest("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-8${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** A Keycloak-shaped access token signed by the development issuer. */
export async function signDevToken(keyFile: string, request: DevTokenRequest): Promise<string> {
  const stored = await loadOrCreateKey(keyFile);
  const key = await importJWK(stored.privateJwk, "RS256");
  const realmRoles = request.realmRoles ?? [];
  return new SignJWT({
    typ: "Bearer",
    azp: "auth-db-dev",
    sid: randomUUID(),
    preferred_username: request.username,
    email: request.email ?? `${request.username}@example.test`,
    email_verified: true,
    name: request.username,
    realm_access: { roles: ["default-roles-dev", ...realmRoles] },
    resource_access: { [request.clientId]: { roles: [] } },
    scope: "openid email profile",
  })
    .setProtectedHeader({ alg: "RS256", typ: "JWT", kid: stored.privateJwk.kid! })
    .setIssuer(DEV_ISSUER)
    .setAudience([DEV_AUDIENCE, "account"])
    .setSubject(request.sub ?? subFor(request.username))
    .setJti(randomUUID())
    .setIssuedAt()
    .setExpirationTime(`${request.expiresInSeconds ?? 3600}s`)
    .sign(key);
}
