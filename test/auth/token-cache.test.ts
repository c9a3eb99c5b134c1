import { createLocalJWKSet, decodeJwt } from "jose";
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
  // exp counts from the start of the current second: 2 leaves at least one whole second to verify in.
  const token = await issuer.token({ expiresIn: 2 });
  await verifier.verify(token);
  const { exp } = decodeJwt(token);
  await new Promise((resolve) => setTimeout(resolve, exp! * 1000 - Date.now() + 100));
  await expect(verifier.verify(token)).rejects.toMatchObject({ reason: "TOKEN_EXPIRED" });
});
