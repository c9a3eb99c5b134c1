import { createTestDatabase, testConfig, type TestDatabase } from "./database.js";
import { startTestService } from "./service.js";
import { TestIssuer } from "./test-issuer.js";

export interface KeycloakTestbed {
  db: TestDatabase;
  issuer: TestIssuer;
  url: string;
  close(): Promise<void>;
}

/** A migrated database, a test issuer and auth-db trusting it (audience auth-db). */
export async function startKeycloakTestbed(env: Record<string, string> = {}): Promise<KeycloakTestbed> {
  const issuer = await TestIssuer.start();
  const db = await createTestDatabase();
  const config = testConfig({ env: { KEYCLOAK_ISSUER: issuer.issuer, KEYCLOAK_AUDIENCE: "auth-db", ...env } });
  const service = await startTestService({ ...config, database: db.config.database });
  return {
    db,
    issuer,
    url: service.url,
    async close() {
      await service.stop();
      await issuer.close();
      await db.drop();
    },
  };
}
