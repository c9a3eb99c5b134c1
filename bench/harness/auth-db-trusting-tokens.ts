import "../../src/graphile-env.js";
import "../../src/v8-flags.js";
import { decodeJwt } from "jose";
import type { KeycloakClaims } from "../../src/auth/claims.js";
import { runCli } from "../../src/cli/run.js";
import { serve } from "../../src/cli/serve.js";

/*
 * auth-db as `npm start` runs it, except that a bearer token's claims are
 * read without checking its signature or expiry: the benchmark's run that
 * skips token verification, to show what verification costs once warm.
 * Only the bench starts this, against its own throwaway database.
 */
runCli(() => serve([], { tokenVerifier: { verify: async (token) => decodeJwt(token) as KeycloakClaims } }));
