import { createTestDatabase, type TestDatabase } from "../helpers/database.js";
import { graphql } from "../helpers/http.js";
import { startTestService } from "../helpers/service.js";

let db: TestDatabase;
let service: Awaited<ReturnType<typeof startTestService>>;
beforeAll(async () => {
  db = await createTestDatabase();
  await db.asOwner((client) =>
    client.query("insert into auth.users (username, email) values ('hanako', 'hanako@example.com')"),
  );
  service = await startTestService(db.config);
});
afterAll(async () => {
  await service?.stop();
  await db?.drop();
});

test("GraphQL introspection answers with the auth schema's types", async () => {
  const { status, body } = await graphql<{ __schema: { types: Array<{ name: string }> } }>(
    service.url,
    "{ __schema { types { name } } }",
  );
  expect(status).toBe(200);
  const names = body.data!.__schema.types.map((type) => type.name);
  expect(names).toEqual(expect.arrayContaining(["User", "Role", "Permission", "UserRole", "RolePermission"]));
});

test("an anonymous query for users gets a permission error and no rows", async () => {
  const { body } = await graphql(service.url, "{ allUsers { nodes { username email } } }");
  expect(body.data?.allUsers ?? null).toBeNull();
  expect(body.errors?.[0]).toMatchObject({
    message: expect.stringMatching(/permission denied/),
    extensions: { code: "42501" },
  });
});

test("an invalid query is answered with a GraphQL validation error naming the field", async () => {
  const { body } = await graphql(service.url, "{ allUsers { nodes { noSuchField } } }");
  expect(body.errors?.[0]?.message).toMatch(/noSuchField/);
});

test("GraphiQL is served outside production", async () => {
  const response = await fetch(`${service.url}/graphiql`, { headers: { accept: "text/html" } });
  expect(response.status).toBe(200);
  expect(await response.text()).toMatch(/<html/i);
});
