import express, { type NextFunction, type Request, type Response } from "express";
import { baselineEnv, bearerVerifier, Unauthorized } from "./bearer.js";
import { loadEnforcer } from "./casbin-policy.js";
import { BadInput, permissionCheck, permissionChecks } from "./permission-input.js";

/*
 * Baseline (b): the usual alternative to deciding in PostgreSQL, an
 * in-process policy engine. The role→permission matrix and the users' roles
 * are loaded once at start; each request verifies the token with jose and
 * asks casbin. No database round trip per request, and so no revocation
 * until the next reload: it is the speed of not asking the database.
 */

const env = baselineEnv();
const verify = bearerVerifier(env);
const { enforcer, lines } = await loadEnforcer(env.ownerUrl);
console.log(`casbin baseline: ${lines} policy lines loaded`);

type Handler = (req: Request, res: Response) => Promise<void>;
const handle = (handler: Handler) => (req: Request, res: Response, next: NextFunction) => handler(req, res).catch(next);

const app = express();
app.disable("x-powered-by");
app.use(express.json());
app.get("/health", (_req, res) => void res.json({ status: "ok" }));

app.post(
  "/check",
  handle(async (req, res) => {
    const claims = await verify(req);
    const { resource, action } = permissionCheck(req.body);
    res.json({ data: { hasPermission: enforcer.enforceSync(claims.sub, resource, action) } });
  }),
);

app.post(
  "/checks",
  handle(async (req, res) => {
    const claims = await verify(req);
    const nodes = permissionChecks(req.body).map(({ resource, action }) => ({
      resource,
      action,
      granted: enforcer.enforceSync(claims.sub, resource, action),
    }));
    res.json({ data: { hasPermissions: { nodes } } });
  }),
);

app.use((error: unknown, _req: Request, res: Response, _next: NextFunction) => {
  if (error instanceof Unauthorized) return void res.status(401).json({ errors: [{ message: error.message }] });
  if (error instanceof BadInput) return void res.status(400).json({ errors: [{ message: error.message }] });
  console.error(error);
  res.status(500).json({ errors: [{ message: "internal error" }] });
});

const server = app.listen(env.port, "127.0.0.1");
process.on("SIGTERM", () => {
  server.close(() => process.exit(0));
  server.closeAllConnections();
});
