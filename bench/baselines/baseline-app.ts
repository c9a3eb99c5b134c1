import express, { type NextFunction, type Request, type Response } from "express";
import { Unauthorized } from "./bearer.js";
import { BadInput } from "./permission-input.js";

/** What a baseline answers: the `data` of POST /check and of POST /checks. */
export interface BaselineAnswers {
  check(req: Request): Promise<unknown>;
  checks(req: Request): Promise<unknown>;
}

/**
 * The HTTP shell every baseline shares, so they differ only in how they
 * decide: /health, /check and /checks answering `{ data }`, 401 and 400 for
 * bad tokens and input, and SIGTERM closing the server, then `onClose`.
 */
export function serveBaseline(port: number, answers: BaselineAnswers, onClose: () => Promise<unknown> = async () => {}): void {
  const app = express();
  app.disable("x-powered-by");
  app.use(express.json());
  app.get("/health", (_req, res) => void res.json({ status: "ok" }));
  for (const route of ["check", "checks"] as const) {
    app.post(`/${route}`, (req: Request, res: Response, next: NextFunction) => {
      answers[route](req).then((data) => res.json({ data }), next);
    });
  }
  app.use((error: unknown, _req: Request, res: Response, _next: NextFunction) => {
    if (error instanceof Unauthorized) return void res.status(401).json({ errors: [{ message: error.message }] });
    if (error instanceof BadInput) return void res.status(400).json({ errors: [{ message: error.message }] });
    console.error(error);
    res.status(500).json({ errors: [{ message: "internal error" }] });
  });
  const server = app.listen(port, "127.0.0.1");
  process.on("SIGTERM", () => {
    server.close(() => void onClose().then(() => process.exit(0)));
    server.closeAllConnections();
  });
}
