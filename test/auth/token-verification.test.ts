import { createHmac } from "node:crypto";
import { exportSPKI, importJWK, type CryptoKey } from "jose";
import type { Config } from "../../src/config/config.js";
import { createTestDatabase, testConfig, type TestDatabase } from "../helpers/database.js";
import { graphql, type GraphQLResponse } from "../helpers/http.js";
import { freePort } from "../helpers/ports.js";
import { startTestService } from "../helpers/service.js";
import { TestIssuer } from "../helpers/test-issuer.js";

type Service = Awaited<ReturnType<typeof startTestService>>;

let db: TestDatabase;
let issuer: TestIssuer;
let service: Service;

/** The test database's configuration, trusting `issuerUrl`. */
function configFor(issuerUrl: string, extra: Record<string, string> = {}): Config {
  const base = db.config;
  // Every refusal here comes from one address: keep the failed-authentication brake out of the way.
  const config = testConfig({ env: { KEYCLOAK_ISSUER: issuerUrl, KEYCLOAK_AUDIENCE: "auth-db", AUTH_FAILURES_PER_MINUTE: "1000", ...extra } });
  return { ...config, database: base.database };
}

beforeAll(async () => {
  issuer = await TestIssuer.start();
  db = await createTestDatabase();
  service = await startTestService(configFor(issuer.issuer, { KEYCLOAK_JWKS_COOLDOWN_MS: "0" }));
});
afterAll(async () => {
  await service?.stop();
  await issuer?.close();
  await db?.drop();
});

const WHO_AM_I = "{ currentUser { username } }";

function withToken(token: string, url = service.url): Promise<GraphQLResponse<{ currentUser: { username: string } | null }>> {
  return graphql(url, WHO_AM_I, {}, { authorization: `Bearer ${token}` });
}

function expectRejected(response: GraphQLResponse, reason: string): void {
  expect({ status: response.status, extensions: response.body.errors?.[0]?.extensions }).toEqual({
    status: 401,
    extensions: { code: "UNAUTHENTICATED", reason },
  });
  expect(response.headers.get("www-authenticate")).toMatch(/^Bearer realm="auth-db", error="invalid_token", error_description="/);
}

function base64url(value: string | Buffer): string {
  return Buffer.from(value).toString("base64url");
}

test("a valid Keycloak access token is accepted and identifies its user", async () => {
  const response = await withToken(await issuer.token({ username: "hanako" }));
  expect(response.status).toBe(200);
  expect(response.body.data).toEqual({ currentUser: { username: "hanako" } });
});

test("a request without a token is anonymous", async () => {
  const response = await graphql(service.url, WHO_AM_I);
  expect(response.status).toBe(200);
  expect(response.body).toEqual({ data: { currentUser: null } });
});

test("an audience given as a single string is accepted", async () => {
  const response = await withToken(await issuer.token({ username: "single-aud", claims: { aud: "auth-db" } }));
  expect(response.body.data).toEqual({ currentUser: { username: "single-aud" } });
});

test("a token expired less than the clock skew ago is still accepted", async () => {
  const response = await withToken(await issuer.token({ username: "skewed", expiresIn: -10 }));
  expect(response.body.data).toEqual({ currentUser: { username: "skewed" } });
});

test("an expired token is refused", async () => {
  expectRejected(await withToken(await issuer.token({ expiresIn: -120 })), "TOKEN_EXPIRED");
});

test("a token that is not yet valid is refused", async () => {
  const nbf = Math.floor(Date.now() / 1000) + 600;
  expectRejected(await withToken(await issuer.token({ claims: { nbf } })), "TOKEN_NOT_YET_VALID");
});

test("a token from another issuer is refused", async () => {
  const token = await issuer.token({ claims: { iss: "http://127.0.0.1:1/realms/other" } });
  expectRejected(await withToken(token), "WRONG_ISSUER");
});

test("a token for another audience is refused", async () => {
  expectRejected(await withToken(await issuer.token({ claims: { aud: ["other-client", "account"] } })), "WRONG_AUDIENCE");
});

test("a token whose payload was altered after signing is refused", async () => {
  const [header, payload, signature] = (await issuer.token({ username: "mallory" })).split(".");
  const claims = JSON.parse(Buffer.from(payload!, "base64url").toString());
  const altered = base64url(JSON.stringify({ ...claims, preferred_username: "hanako" }));
  expectRejected(await withToken(`${header}.${altered}.${signature}`), "BAD_SIGNATURE");
});

test("an unsigned token (alg none) is refused", async () => {
  const payload = (await issuer.token()).split(".")[1];
  const unsigned = `${base64url(JSON.stringify({ alg: "none", typ: "JWT" }))}.${payload}.`;
  expectRejected(await withToken(unsigned), "ALGORITHM_NOT_ALLOWED");
});

test("an HS256 token keyed with the issuer's public key is refused", async () => {
  const payload = (await issuer.token()).split(".")[1];
  const header = base64url(JSON.stringify({ alg: "HS256", typ: "JWT", kid: issuer.currentKey.kid }));
  const publicPem = await exportSPKI((await importJWK(issuer.currentKey.publicJwk, "RS256")) as CryptoKey);
  const signature = createHmac("sha256", publicPem).update(`${header}.${payload}`).digest("base64url");
  expectRejected(await withToken(`${header}.${payload}.${signature}`), "ALGORITHM_NOT_ALLOWED");
});

test("a token signed with a key the issuer does not publish is refused after one JWKS refetch", async () => {
  await withToken(await issuer.token());
  const fetchesBefore = issuer.jwksRequests;
  const token = await issuer.token({ key: await TestIssuer.unpublishedKey() });
  expectRejected(await withToken(token), "UNKNOWN_KEY");
  expect(issuer.jwksRequests).toBe(fetchesBefore + 1);
});

test("a token signed with a newly rotated key is accepted", async () => {
  await withToken(await issuer.token());
  await issuer.rotateKey();
  const response = await withToken(await issuer.token({ username: "rotated" }));
  expect(response.body.data).toEqual({ currentUser: { username: "rotated" } });
});

test("a malformed token is refused", async () => {
  expectRejected(await withToken("not-a-jwt"), "MALFORMED");
});

test("an oversized token is refused before it is parsed", async () => {
  expectRejected(await withToken("a".repeat(13_000)), "TOKEN_TOO_LARGE");
});

test("an Authorization header with another scheme is refused", async () => {
  const response = await graphql(service.url, WHO_AM_I, {}, { authorization: "Basic aGFuYWtvOnNlY3JldA==" });
  expectRejected(response, "UNSUPPORTED_SCHEME");
});

test("a Keycloak ID token is refused as an access token", async () => {
  expectRejected(await withToken(await issuer.token({ claims: { typ: "ID" } })), "NOT_AN_ACCESS_TOKEN");
});

test("an ID token of a standard OpenID provider (no typ claim, no at+jwt header) is refused as an access token", async () => {
  expectRejected(await withToken(await issuer.token({ claims: { typ: undefined } })), "NOT_AN_ACCESS_TOKEN");
});

test("a Keycloak refresh token is refused as an access token", async () => {
  expectRejected(await withToken(await issuer.token({ claims: { typ: "Refresh" } })), "NOT_AN_ACCESS_TOKEN");
});

test("an RFC 9068 access token (header typ at+jwt, no typ claim) is accepted", async () => {
  for (const [i, typ] of ["at+jwt", "application/at+JWT"].entries()) {
    const username = `rfc9068-${i}`;
    const response = await withToken(await issuer.token({ username, claims: { typ: undefined }, header: { typ } }));
    expect(response.body.data).toEqual({ currentUser: { username } });
  }
});

test("a header typ at+jwt does not make a token whose typ claim names another kind an access token", async () => {
  expectRejected(await withToken(await issuer.token({ claims: { typ: "ID" }, header: { typ: "at+jwt" } })), "NOT_AN_ACCESS_TOKEN");
});

/** Expects 401 INVALID_CLAIMS naming `claim`, and nothing of the refused value in the answer. */
async function expectInvalidClaim(claims: Record<string, unknown>, claim: string, value?: string): Promise<void> {
  const response = await withToken(await issuer.token({ claims }));
  expectRejected(response, "INVALID_CLAIMS");
  expect(response.body.errors?.[0]?.message).toContain(`"${claim}"`);
  if (value !== undefined) expect(JSON.stringify(response.body)).not.toContain(value);
}

test("a sub longer than the 255 characters a profile holds is refused as invalid claims", async () => {
  await expectInvalidClaim({ sub: "s".repeat(300) }, "sub", "s".repeat(300));
});

test("a username with a space is refused as invalid claims", async () => {
  await expectInvalidClaim({ preferred_username: "hanako yamada" }, "preferred_username", "hanako yamada");
});

test("a username longer than 255 characters is refused as invalid claims", async () => {
  await expectInvalidClaim({ preferred_username: "u".repeat(256) }, "preferred_username");
});

test("without preferred_username, a sub that cannot serve as the username is refused as invalid claims", async () => {
  await expectInvalidClaim({ preferred_username: undefined, sub: "has a space" }, "sub");
});

test("a verified email that is not an address is refused as invalid claims", async () => {
  await expectInvalidClaim({ email: "not an address", email_verified: true }, "email", "not an address");
  await expectInvalidClaim({ email: "a@b@c", email_verified: true }, "email");
  await expectInvalidClaim({ email: `${"a".repeat(320)}@example.com`, email_verified: true }, "email");
});

test("a name longer than 255 characters is refused as invalid claims", async () => {
  await expectInvalidClaim({ name: "n".repeat(256) }, "name");
});

test("realm roles that are not a list of strings are refused as invalid claims", async () => {
  await expectInvalidClaim({ realm_access: { roles: { admin: true } } }, "realm_access.roles");
  await expectInvalidClaim({ realm_access: { roles: ["sys_admin", 42] } }, "realm_access.roles");
  await expectInvalidClaim({ realm_access: "sys_admin" }, "realm_access");
});

test("client roles that are not a list of strings are refused as invalid claims", async () => {
  await expectInvalidClaim({ resource_access: { "auth-db": { roles: "sys_admin" } } }, "resource_access.auth-db.roles");
  await expectInvalidClaim({ resource_access: ["auth-db"] }, "resource_access");
});

test("characters counted as Unicode code points, not UTF-16 units, as the database counts them", async () => {
  const username = "\u{1F600}".repeat(200);
  const response = await withToken(await issuer.token({ username }));
  expect(response.body.data).toEqual({ currentUser: { username } });
});

test("a token whose identity claims hold a NUL character is refused", async () => {
  for (const claims of [{ sub: "user\u0000x" }, { preferred_username: "hana\u0000ko" }, { email: "a\u0000@example.com" }, { name: "Ha\u0000na" }]) {
    expectRejected(await withToken(await issuer.token({ claims })), "INVALID_CLAIMS");
  }
});

test("a token whose identity claims are not strings is refused", async () => {
  for (const claims of [{ preferred_username: 42 }, { email: ["a@example.com"] }, { name: { given: "Hana" } }]) {
    expectRejected(await withToken(await issuer.token({ claims })), "INVALID_CLAIMS");
  }
});

describe("with a JWKS cooldown", () => {
  let cooled: Service;
  beforeAll(async () => {
    cooled = await startTestService(configFor(issuer.issuer, { KEYCLOAK_JWKS_COOLDOWN_MS: "60000" }));
  });
  afterAll(async () => {
    await cooled?.stop();
  });

  test("unknown keys within the cooldown do not fetch the JWKS again", async () => {
    await withToken(await issuer.token(), cooled.url);
    const fetchesBefore = issuer.jwksRequests;
    for (let i = 0; i < 3; i++) {
      expectRejected(await withToken(await issuer.token({ key: await TestIssuer.unpublishedKey() }), cooled.url), "UNKNOWN_KEY");
    }
    expect(issuer.jwksRequests).toBe(fetchesBefore);
  });
});

describe("with the default JWKS refetch interval", () => {
  let rotating: TestIssuer;
  let served: Service;
  beforeAll(async () => {
    rotating = await TestIssuer.start();
    served = await startTestService(configFor(rotating.issuer));
  });
  afterAll(async () => {
    await served?.stop();
    await rotating?.close();
  });

  async function reasonFor(token: string): Promise<unknown> {
    return (await withToken(token, served.url)).body.errors?.[0]?.extensions?.reason;
  }

  test("a key rotated in while unknown-kid tokens keep arriving is accepted after one short interval, with JWKS fetches bounded", async () => {
    expect((await withToken(await rotating.token(), served.url)).status).toBe(200);
    const unknownKid = await rotating.token({ key: await TestIssuer.unpublishedKey() });

    const beforeBurst = rotating.jwksRequests;
    const burst = await Promise.all(Array.from({ length: 20 }, () => reasonFor(unknownKid)));
    expect(burst).toEqual(Array(20).fill("UNKNOWN_KEY"));
    expect(rotating.jwksRequests - beforeBurst).toBeLessThanOrEqual(1);

    const beforeRotation = rotating.jwksRequests;
    const rotatedToken = await rotating.token({ username: "rotated-under-fire", key: await rotating.rotateKey() });
    let answer: GraphQLResponse<{ currentUser: { username: string } | null }> | undefined;
    let unknownKidSent = 0;
    // Polls, with unknown-kid tokens between polls, until the rotated key is accepted (or far past the interval).
    for (const giveUpAt = Date.now() + 20_000; Date.now() < giveUpAt; ) {
      const reasons = await Promise.all(Array.from({ length: 5 }, () => reasonFor(unknownKid)));
      expect(reasons).toEqual(Array(5).fill("UNKNOWN_KEY"));
      unknownKidSent += 5;
      answer = await withToken(rotatedToken, served.url);
      if (answer.status === 200) break;
      expect(answer.body.errors?.[0]?.extensions?.reason).toBe("UNKNOWN_KEY");
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(answer?.body.data).toEqual({ currentUser: { username: "rotated-under-fire" } });
    // Every fetch started after the rotation brings the new key: at most that one, and one already under way.
    expect(unknownKidSent).toBeGreaterThan(0);
    expect(rotating.jwksRequests - beforeRotation).toBeLessThanOrEqual(2);
  });
});

describe("with a JWKS endpoint that fails", () => {
  let failing: TestIssuer;
  let served: Service;
  beforeAll(async () => {
    failing = await TestIssuer.start();
    failing.jwksStatus = 500;
    served = await startTestService(configFor(failing.issuer, { KEYCLOAK_JWKS_COOLDOWN_MS: "60000" }));
  });
  afterAll(async () => {
    await served?.stop();
    await failing?.close();
  });

  test("tokens are answered 503 and the failed fetch is not repeated within the interval", async () => {
    const tokens = [await failing.token(), await failing.token({ key: await TestIssuer.unpublishedKey() }), await failing.token()];
    const codes = [];
    for (const token of tokens) codes.push((await withToken(token, served.url)).body.errors?.[0]?.extensions?.code);
    expect(codes).toEqual(["ISSUER_UNAVAILABLE", "ISSUER_UNAVAILABLE", "ISSUER_UNAVAILABLE"]);
    expect(failing.jwksRequests).toBe(1);
  });
});

describe("with the issuer unreachable", () => {
  let orphan: Service;
  beforeAll(async () => {
    orphan = await startTestService(configFor(`http://127.0.0.1:${await freePort()}/realms/k1s0`));
  });
  afterAll(async () => {
    await orphan?.stop();
  });

  test("a token is answered 503, not 401", async () => {
    const response = await withToken(await issuer.token(), orphan.url);
    expect({ status: response.status, code: response.body.errors?.[0]?.extensions?.code }).toEqual({
      status: 503,
      code: "ISSUER_UNAVAILABLE",
    });
  });

  test("a request without a token is still served", async () => {
    const response = await graphql(orphan.url, WHO_AM_I);
    expect(response.body).toEqual({ data: { currentUser: null } });
  });
});
