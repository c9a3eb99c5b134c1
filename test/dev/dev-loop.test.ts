import { startDevProcess, type DevProcess } from "../helpers/dev-process.js";
import { graphql } from "../helpers/http.js";
import { freePort, portAccepts } from "../helpers/ports.js";
import { copyProject, type ProjectCopy } from "../helpers/project-copy.js";

/*
 * `npm run dev` as a developer runs it: in a copy of the project (its
 * current.sql is edited here, never the repository's), with nothing but a
 * free port for its own embedded PostgreSQL.
 */
let project: ProjectCopy;
let dev: DevProcess;
let pgPort: number;
let url: string;
beforeAll(async () => {
  project = await copyProject();
  pgPort = await freePort();
  dev = startDevProcess(project.dir, {
    NODE_ENV: "development",
    HOST: "127.0.0.1",
    PORT: "0",
    EMBEDDED_PG_PORT: String(pgPort),
    LOG_LEVEL: "warn",
  });
  [, url] = (await dev.waitForOutput(/auth-db listening on (\S+)/, 170_000)) as [string, string];
}, 180_000);
afterAll(async () => {
  await dev?.kill();
  // Killed, npm run dev leaves its dev loop to stop the database by itself.
  for (let attempt = 0; attempt < 120 && pgPort && (await portAccepts(pgPort)); attempt++) {
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  await project?.remove();
}, 60_000);

/** Whether the GraphQL schema the server serves now has the type `name`. */
async function schemaHasType(name: string): Promise<boolean> {
  const { body } = await graphql<{ __type: { name: string } | null }>(url, `{ __type(name: "${name}") { name } }`);
  return body.data?.__type?.name === name;
}

test("the dev banner says the database is the embedded PostgreSQL", () => {
  expect(dev.output()).toMatch(/auth-db listening on \S+ \(database: embedded PostgreSQL[,;]/);
});

test("saving current.sql shows the new table in GraphQL without a restart", async () => {
  expect(await schemaHasType("DevLoopProbe")).toBe(false);
  await project.write(
    "migrations/current.sql",
    [
      "drop table if exists auth.dev_loop_probes;",
      "create table auth.dev_loop_probes (id int primary key);",
      "grant select on auth.dev_loop_probes to :AUTH_ANONYMOUS;",
      "",
    ].join("\n"),
  );
  // Bounded polling (120 tries, 250 ms apart): the assertion is on the outcome, not the time.
  let found = false;
  for (let attempt = 0; attempt < 120 && !found; attempt++) {
    await new Promise((resolve) => setTimeout(resolve, 250));
    found = await schemaHasType("DevLoopProbe");
  }
  expect(found).toBe(true);
  expect(dev.output().match(/auth-db listening on/g)).toHaveLength(1);
}, 60_000);

test("Ctrl-C stops npm run dev quietly: exit 0, no error or stack trace, database stopped", async () => {
  const before = dev.output().length;
  dev.interrupt();
  const exit = await dev.exited(60_000);
  const after = dev.output().slice(before);
  expect({ exit, after }).toEqual({ exit: { code: 0, signal: null }, after });
  expect(after).not.toMatch(/error|warn|fail|exception|kill|again|^\s+at /im);
  expect(await portAccepts(pgPort)).toBe(false);
}, 70_000);
