import { randomUUID } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { calculateJwkThumbprint, exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from "jose";

interface SigningKey {
  kid: string;
  privateKey: CryptoKey;
  publicJwk: JWK;
}

async function newKey(): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair("RS256", { extractable: true });
  const jwk = await exportJWK(publicKey);
  const kid = await calculateJwkThumbprint(jwk);
  return { kid, privateKey, publicJwk: { ...jwk, kid, alg: "RS256", use: "sig" } };
}

export interface TokenOptions {
  sub?: string;
  username?: string;
  email?: string;
  name?: string;
  realmRoles?: string[];
  clientRoles?: string[];
  /** Claims to add or override (undefined removes one). */
  claims?: Record<string, unknown>;
  /** Seconds from now; negative for an expired token. */
  expiresIn?: number;
  /** Sign with this key instead of the current published one. */
  key?: SigningKey;
  /** JOSE header parameters to add or override (undefined removes one), e.g. `{ typ: "at+jwt" }`. */
  header?: Record<string, unknown>;
}

/**
 * A stand-in for a Keycloak realm that tests can run: a real HTTP server
 * serving the discovery document and JWKS in Keycloak's shapes (see
 * shared/keycloak), and RS256 access tokens signed with its own keys.
 */
export class TestIssuer {
  /** How many times the JWKS was fetched. */
  jwksRequests = 0;
  /** Set to e.g. 500 to make the JWKS endpoint fail (requests are still counted). */
  jwksStatus = 200;
  private keys: SigningKey[] = [];

  private constructor(
    private readonly server: http.Server,
    readonly issuer: string,
  ) {}

  static async start(): Promise<TestIssuer> {
    const server = http.createServer();
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    const issuer = new TestIssuer(server, `http://127.0.0.1:${port}/realms/k1s0`);
    issuer.keys.push(await newKey());
    server.on("request", (req, res) => issuer.handle(req, res));
    return issuer;
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const base = new URL(this.issuer).pathname;
    const json = (body: unknown) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify(body));
    };
    if (req.url === `${base}/.well-known/openid-configuration`) {
      json({
        issuer: this.issuer,
        authorization_endpoint: `${this.issuer}/protocol/openid-connect/auth`,
        token_endpoint: `${this.issuer}/protocol/openid-connect/token`,
        jwks_uri: `${this.issuer}/protocol/openid-connect/certs`,
        id_token_signing_alg_values_supported: ["RS256"],
      });
    } else if (req.url === `${base}/protocol/openid-connect/certs`) {
      this.jwksRequests++;
      if (this.jwksStatus !== 200) res.writeHead(this.jwksStatus).end();
      else json({ keys: this.keys.map((key) => key.publicJwk) });
    } else {
      res.writeHead(404).end();
    }
  }

  /** The key tokens are signed with by default. */
  get currentKey(): SigningKey {
    return this.keys[this.keys.length - 1]!;
  }

  /** Publishes a new signing key, as Keycloak does on rotation; the old one stays published. */
  async rotateKey(): Promise<SigningKey> {
    const key = await newKey();
    this.keys.push(key);
    return key;
  }

  /** A key this issuer never publishes. */
  static unpublishedKey(): Promise<SigningKey> {
    return newKey();
  }

  /** A Keycloak-shaped access token (claims as in shared/keycloak/access-token.payload.json). */
  async token(options: TokenOptions = {}): Promise<string> {
    const key = options.key ?? this.currentKey;
    const sub = options.sub ?? randomUUID();
    const username = options.username ?? `user-${sub.slice(0, 8)}`;
    const now = Math.floor(Date.now() / 1000);
    const claims: Record<string, unknown> = {
      exp: now + (options.expiresIn ?? 300),
      iat: now,
      auth_time: now,
      jti: `onrtac:${randomUUID()}`,
      iss: this.issuer,
      aud: ["auth-db", "account"],
      sub,
      typ: "Bearer",
      azp: "k1s0-frontend",
      sid: randomUUID(),
      acr: "1",
      "allowed-origins": ["http://localhost:5173"],
      realm_access: { roles: ["default-roles-k1s0", "offline_access", "uma_authorization", ...(options.realmRoles ?? [])] },
      resource_access: {
        "auth-db": { roles: options.clientRoles ?? [] },
        account: { roles: ["manage-account", "manage-account-links", "view-profile"] },
      },
      scope: "openid email profile",
      email_verified: true,
      name: options.name ?? username,
      preferred_username: username,
      given_name: username,
      family_name: "Test",
      email: options.email ?? `${username}@example.com`,
      ...options.claims,
    };
    for (const [name, value] of Object.entries(claims)) if (value === undefined) delete claims[name];
    const header: Record<string, unknown> = { typ: "JWT", ...options.header, alg: "RS256", kid: key.kid };
    for (const [name, value] of Object.entries(header)) if (value === undefined) delete header[name];
    return new SignJWT(claims).setProtectedHeader(header as { alg: string }).sign(key.privateKey);
  }

  /** Stops serving (idempotent: a test may take the issuer away early). */
  async close(): Promise<void> {
    if (!this.server.listening) return;
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
