import { graphql } from "../helpers/http.js";
import { startKeycloakTestbed, type KeycloakTestbed } from "../helpers/keycloak-service.js";
import { personWithRoles, type Person } from "../helpers/people.js";

let bed: KeycloakTestbed;
let auditor: Person;
const TRACE = "0af7651916cd43dd8448eb211c80319c";
beforeAll(async () => {
  bed = await startKeycloakTestbed();
  auditor = await personWithRoles(bed.db, bed.issuer, ["sys_auditor"]);
  await bed.db.asOwner((client) =>
    client.query(
      `insert into auth.audit_logs (event_type, action, resource, user_id, actor_type, trace_id, created_at) values
         ('LOGIN', 'attempt', 'session', 'alice', 'user', null, now() - interval '2 days'),
         ('LOGIN', 'attempt', 'session', 'alice', 'user', $1, now() - interval '1 day'),
         ('EXPORT', 'run', 'reports', 'bob', 'user', null, now() - interval '1 day'),
         ('LOGIN', 'attempt', 'session', 'bob', 'user', null, now())`,
      [TRACE],
    ),
  );
});
afterAll(async () => {
  await bed?.close();
});

async function browse<T>(query: string, variables: Record<string, unknown> = {}): Promise<T> {
  const { body } = await graphql<T>(bed.url, query, variables, auditor.headers);
  expect(body.errors).toBeUndefined();
  return body.data!;
}

type Nodes = { allAuditLogs: { nodes: Array<{ userId: string; eventType: string; createdAt: string }> } };

test("filters by actor, event type and action together", async () => {
  const data = await browse<Nodes>(
    `{ allAuditLogs(filter: { userId: { equalTo: "alice" }, eventType: { equalTo: "LOGIN" }, action: { equalTo: "attempt" } }) {
         nodes { userId eventType createdAt } } }`,
  );
  expect(data.allAuditLogs.nodes).toHaveLength(2);
});

test("filters by resource and by trace id", async () => {
  const byResource = await browse<Nodes>('{ allAuditLogs(filter: { resource: { equalTo: "reports" } }) { nodes { userId eventType createdAt } } }');
  expect(byResource.allAuditLogs.nodes.map((node) => node.userId)).toEqual(["bob"]);
  const byTrace = await browse<Nodes>(`{ allAuditLogs(filter: { traceId: { equalTo: "${TRACE}" } }) { nodes { userId eventType createdAt } } }`);
  expect(byTrace.allAuditLogs.nodes.map((node) => node.userId)).toEqual(["alice"]);
});

test("filters by time range, newest first", async () => {
  const from = new Date(Date.now() - 36 * 3600_000).toISOString();
  const data = await browse<Nodes>(
    `query ($from: Datetime!) { allAuditLogs(filter: { createdAt: { greaterThanOrEqualTo: $from }, eventType: { in: ["LOGIN", "EXPORT"] } }, orderBy: CREATED_AT_DESC) {
         nodes { userId eventType createdAt } } }`,
    { from },
  );
  const times = data.allAuditLogs.nodes.map((node) => node.createdAt);
  expect(times).toHaveLength(3);
  expect([...times].sort().reverse()).toEqual(times);
});

test("pages with cursors and counts the total", async () => {
  type Page = { allAuditLogs: { totalCount: number; pageInfo: { endCursor: string; hasNextPage: boolean }; nodes: Array<{ rowId: string }> } };
  const query = `query ($after: Cursor) { allAuditLogs(first: 2, after: $after, orderBy: CREATED_AT_DESC, filter: { eventType: { in: ["LOGIN", "EXPORT"] } }) {
      totalCount pageInfo { endCursor hasNextPage } nodes { rowId } } }`;
  const first = await browse<Page>(query);
  const second = await browse<Page>(query, { after: first.allAuditLogs.pageInfo.endCursor });
  expect(first.allAuditLogs.totalCount).toBe(4);
  expect(first.allAuditLogs.pageInfo.hasNextPage).toBe(true);
  expect(second.allAuditLogs.nodes).toHaveLength(2);
  expect(second.allAuditLogs.nodes.map((n) => n.rowId)).not.toContain(first.allAuditLogs.nodes[0]!.rowId);
});

test("groups counts by event type and by day for dashboards", async () => {
  type Grouped = {
    byType: { groupedAggregates: Array<{ keys: string[]; distinctCount: { userId: string } }> };
    byDay: { groupedAggregates: Array<{ keys: string[] }> };
  };
  const data = await browse<Grouped>(`{
    byType: allAuditLogs(filter: { eventType: { in: ["LOGIN", "EXPORT"] } }) { groupedAggregates(groupBy: [EVENT_TYPE]) { keys distinctCount { userId } } }
    byDay: allAuditLogs(filter: { eventType: { in: ["LOGIN", "EXPORT"] } }) { groupedAggregates(groupBy: [CREATED_AT_TRUNCATED_TO_DAY]) { keys } }
  }`);
  const byType = Object.fromEntries(data.byType.groupedAggregates.map((group) => [group.keys[0], Number(group.distinctCount.userId)]));
  expect(byType).toEqual({ LOGIN: 2, EXPORT: 1 });
  expect(data.byDay.groupedAggregates).toHaveLength(3);
});

test("a time-range query reads only the partitions of that range", async () => {
  const plan = await bed.db.asOwner(async (client) => {
    const { rows } = await client.query(
      `explain (format json) select * from auth.audit_logs
        where created_at >= date_trunc('month', now()) and created_at < date_trunc('month', now()) + interval '1 day'`,
    );
    return JSON.stringify(rows[0]["QUERY PLAN"]);
  });
  const scanned = [...new Set([...plan.matchAll(/"Relation Name":"([^"]+)"/g)].map((match) => match[1]))];
  const now = new Date();
  expect(scanned).toEqual([`audit_logs_y${now.getUTCFullYear()}m${String(now.getUTCMonth() + 1).padStart(2, "0")}`]);
});
