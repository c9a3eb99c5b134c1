import express, { type NextFunction, type Request, type Response } from "express";
import pg from "pg";
import { baselineEnv, bearerVerifier, requestSettings, Unauthorized } from "./bearer.js";
import { BadInput, permissionCheck, permissionCheckArray, permissionChecks } from "./permission-input.js";
import { withRequestSettings } from "../../src/db/request-transaction.js";

/*
 * Baseline (a): what a careful hand-written endpoint would cost for the same
 * answer. It verifies the token like auth-db, then runs the statements
 * Grafast sends, in the same shape: begin; set_config(...) for the role and
 * jwt.claims.*; the function call; commit, on a pool of the same size (10)
 * logged in as the authenticator.
 */

const env = baselineEnv();
const verify = bearerVerifier(env);
const pool = new pg.Pool({ connectionString: env.authenticatorUrl, max: 10 });

/** The same transaction shape as PostGraphile's: begin, set_config for role and claims, the query, commit. */
const asCaller = <T>(settings: Record<string, string>, work: (client: pg.PoolClient) => Promise<T>) =>
  withRequestSettings(pool, settings, work);

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
    const granted = await asCaller(requestSettings(claims, req, env.userRole), async (client) => {
      const { rows } = await client.query<{ granted: boolean }>({
        name: "has_permission",
        text: "select auth.has_permission($1::text, $2::auth.permission_action) as granted",
        values: [resource, action],
      });
      return rows[0]!.granted;
    });
    res.json({ data: { hasPermission: granted } });
  }),
);

app.post(
  "/checks",
  handle(async (req, res) => {
    const claims = await verify(req);
    const checks = permissionChecks(req.body);
    const nodes = await asCaller(requestSettings(claims, req, env.userRole), async (client) => {
      const { rows } = await client.query<{ resource: string; action: string; granted: boolean }>({
        name: "has_permissions",
        text: "select resource, action::text, granted from auth.has_permissions($1::auth.permission_check[])",
        values: [permissionCheckArray(checks)],
      });
      return rows;
    });
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
  server.close(() => void pool.end().then(() => process.exit(0)));
  server.closeAllConnections();
});
