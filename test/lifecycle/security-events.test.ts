import pg from "pg";
import { securityEventsDropped } from "../../src/observability/metrics.js";
import { SecurityEventQueue } from "../../src/security/event-queue.js";
import { graphql } from "../helpers/http.js";
import { startKeycloakTestbed, type KeycloakTestbed } from "../helpers/keycloak-service.js";
import { personWithRoles } from "../helpers/people.js";

let bed: KeycloakTestbed;
beforeAll(async () => {
  // Refusals are written once their (short, here) coalescing window is over.
  bed = await startKeycloakTestbed({ REFUSAL_RECORD_WINDOW_MS: "50" });
});
afterAll(async () => {
  await bed?.close();
});

async function eventsOfType(type: string, wait = true) {
  for (let tries = 0; tries < 40; tries++) {
    const { rows } = await bed.db.asOwner((client) =>
      client.query("select type, description, ip_address, user_id, detail from auth.security_events where type = $1 order by id", [type]),
    );
    if (rows.length > 0 || !wait) return rows;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return [];
}

test("a rejected token is recorded with its reason, ip, kid and issuer, never the token", async () => {
  const token = await bed.issuer.token({ expiresIn: -300 });
  await graphql(bed.url, "{ currentUser { username } }", {}, { authorization: `Bearer ${token}` });
  const events = await eventsOfType("CREDENTIAL_REJECTED");
  expect(events).toEqual([
    {
      type: "CREDENTIAL_REJECTED",
      description: "token expired",
      ip_address: "127.0.0.1",
      user_id: null,
      detail: {
        reason: { counts: { TOKEN_EXPIRED: 1 }, distinct: 1 },
        kid: { counts: { [bed.issuer.currentKey.kid]: 1 }, distinct: 1 },
        alg: { counts: { RS256: 1 }, distinct: 1 },
        iss: { counts: { [bed.issuer.issuer]: 1 }, distinct: 1 },
        count: 1,
        first_at: expect.any(String),
        last_at: expect.any(String),
      },
    },
  ]);
  expect(JSON.stringify(events)).not.toContain(token.split(".")[2]);
});

test("a denied request is recorded with the caller and the missing permission", async () => {
  const auditor = await personWithRoles(bed.db, bed.issuer, ["sys_auditor"]);
  await graphql(
    bed.url,
    'mutation { createRole(input: { name: "denied_role", tier: business }) { result { name } } }',
    {},
    auditor.headers,
  );
  expect(await eventsOfType("REQUEST_DENIED")).toEqual([
    expect.objectContaining({
      user_id: auditor.sub,
      detail: { field: "createRole", permission: "auth_config:write", count: 1, first_at: expect.any(String), last_at: expect.any(String) },
    }),
  ]);
});

test("auditors count failures per ip per day: rows of a day and address, summed by their counts", async () => {
  for (let i = 0; i < 3; i++) await graphql(bed.url, "{ currentUser { username } }", {}, { authorization: "Bearer nonsense" });
  const auditor = await personWithRoles(bed.db, bed.issuer, ["sys_auditor"]);
  const today = new Date().toISOString().slice(0, 10);
  const failuresToday = async () => {
    const { body } = await graphql<{ allSecurityEvents: { nodes: Array<{ ipAddress: string; createdAt: string; detail: { count: number } }> } }>(
      bed.url,
      '{ allSecurityEvents(filter: { type: { equalTo: "CREDENTIAL_REJECTED" }, description: { equalTo: "malformed token" } }) { nodes { ipAddress createdAt detail } } }',
      {},
      auditor.headers,
    );
    expect(body.errors).toBeUndefined();
    const nodes = body.data!.allSecurityEvents.nodes.filter((node) => node.createdAt.startsWith(today));
    return { addresses: [...new Set(nodes.map((node) => node.ipAddress))], count: nodes.reduce((sum, node) => sum + node.detail.count, 0) };
  };
  let failures = await failuresToday();
  for (let tries = 0; tries < 40 && failures.count < 3; tries++) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    failures = await failuresToday();
  }
  expect(failures).toEqual({ addresses: ["127.0.0.1"], count: 3 });
});

test("a flood beyond the queue's capacity is dropped and counted instead of queued", async () => {
  const pool = new pg.Pool({ connectionString: bed.db.config.database.ownerUrl, max: 1 });
  const queue = new SecurityEventQueue(pool, { capacity: 5, flushIntervalMs: 60_000 });
  const droppedBefore = (await securityEventsDropped.get()).values.find((v) => v.labels.cause === "queue_full")?.value ?? 0;
  try {
    for (let i = 0; i < 12; i++) queue.record({ type: "FLOOD", description: `attempt ${i}` });
    await queue.flush();
  } finally {
    await queue.stop();
    await pool.end();
  }
  const droppedAfter = (await securityEventsDropped.get()).values.find((v) => v.labels.cause === "queue_full")!.value;
  expect(droppedAfter - droppedBefore).toBe(7);
  expect(await eventsOfType("FLOOD", false)).toHaveLength(5);
});

test("/metrics reports dropped and recorded security events", async () => {
  const response = await fetch(`${bed.url}/metrics`);
  const text = await response.text();
  expect(response.status).toBe(200);
  expect(text).toMatch(/^authdb_security_events_recorded_total \d+/m);
  expect(text).toContain("authdb_security_events_dropped_total");
});
