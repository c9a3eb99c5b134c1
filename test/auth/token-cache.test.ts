import { createLocalJWKSet } from "jose";
import { createTokenVerifier } from "../../src/auth/token-verifier.js";
import { TestIssuer } from "../helpers/test-issuer.js";

let issuer: TestIssuer;
beforeAll(async () => {
  issuer = await TestIssuer.start();
});
afterAll(async () => {
  await issuer?.close();
});

/** A verifier trusting the test issuer's current key, counting how often it looks keys up. */
function countingVerifier() {
  const counter = { lookups: 0 };
  const keys = createLocalJWKSet({ keys: [issuer.currentKey.publicJwk] });
  const verifier = createTokenVerifier({
    issuer: issuer.issuer,
    clockToleranceSeconds: 0,
    keys: async () => {
      counter.lookups++;
      return keys;
    },
  });
  return { verifier, counter };
}

test("a token verified once is answered from memory the next time", async () => {
  const { verifier, counter } = countingVerifier();
  const token = await issuer.token({ username: "remembered" });
  const first = await verifier.verify(token);
  const second = await verifier.verify(token);
  expect(second).toEqual(first);
  expect(counter.lookups).toBe(1);
});

test("a remembered token is refused once it expires", async () => {
  const { verifier } = countingVerifier();
  const token = await issuer.token({ expiresIn: 1 });
  await verifier.verify(token);
  await new Promise((resolve) => setTimeout(resolve, 2100));
  await expect(verifier.verify(token)).rejects.toMatchObject({ reason: "TOKEN_EXPIRED" });
});
