import { loadConfig } from "../../src/config/config.js";
import { connectionBudgetProblem } from "../../src/db/connection-budget.js";
import { problemsOf } from "../helpers/config-problems.js";
import { createTestDatabase, type TestDatabase } from "../helpers/database.js";
import { graphql } from "../helpers/http.js";
import { startTestService } from "../helpers/service.js";

test("each serving process opens at most 10 database connections by default", () => {
  expect(loadConfig({}, "/srv/auth-db").database.poolSize).toBe(10);
});

test("a DATABASE_POOL_SIZE that is not a whole number from 1 to 1000 is named in the error", () => {
  expect(problemsOf({ DATABASE_POOL_SIZE: "0" })).toEqual(["DATABASE_POOL_SIZE: expected 1 to 1000 connections"]);
  expect(problemsOf({ DATABASE_POOL_SIZE: "ten" })).toEqual(["DATABASE_POOL_SIZE: expected a number of connections"]);
});

describe("against a database", () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await db?.drop();
  });

  test("a serving process holds no more connections than DATABASE_POOL_SIZE, however many requests wait", async () => {
    const service = await startTestService({ ...db.config, database: { ...db.config.database, poolSize: 2 } });
    try {
      const answers = await Promise.all(Array.from({ length: 30 }, () => graphql(service.url, "{ currentUser { username } }")));
      expect(answers.map((answer) => answer.status)).toEqual(answers.map(() => 200));
      const held = await db.asRoot(async (client) => {
        const { rows } = await client.query<{ n: number }>(
          "select count(*)::int as n from pg_stat_activity where usename = $1",
          [db.config.database.roles.authenticator],
        );
        return rows[0]!.n;
      });
      expect(held).toBe(2);
    } finally {
      await service.stop();
    }
  });

  test("pools that fit the database's connections raise no problem", async () => {
    expect(await connectionBudgetProblem(db.config.database, 2)).toBeUndefined();
  });

  test("pools that together exceed the database's connections are named with their numbers", async () => {
    const problem = await connectionBudgetProblem({ ...db.config.database, poolSize: 100 }, 64);
    expect(problem).toMatch(/^64 serving processes \(WEB_CONCURRENCY\) × DATABASE_POOL_SIZE 100 = 6400 connections, more than the \d+ the database grants ordinary roles/);
  });
});
