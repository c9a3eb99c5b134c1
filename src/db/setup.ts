import pg from "pg";
import type { DatabaseConfig } from "../config/config.js";
import { withClient } from "./client.js";
import { takingTurns } from "./turns.js";

const { escapeIdentifier: ident, escapeLiteral: literal } = pg;

interface LoginRole {
  name: string;
  password: string;
}

function loginOf(url: string): LoginRole {
  const u = new URL(url);
  return { name: decodeURIComponent(u.username), password: decodeURIComponent(u.password) };
}

async function roleExists(client: pg.Client, name: string): Promise<boolean> {
  const { rowCount } = await client.query("select 1 from pg_roles where rolname = $1", [name]);
  return rowCount === 1;
}

/** Creates the role, or brings an existing one back to the wanted attributes. */
async function ensureRole(client: pg.Client, name: string, attributes: string): Promise<void> {
  const verb = (await roleExists(client, name)) ? "alter" : "create";
  await client.query(`${verb} role ${ident(name)} with ${attributes}`);
}

function loginAttributes(role: LoginRole, extra = ""): string {
  const password = role.password ? `password ${literal(role.password)}` : "";
  return `login ${extra} ${password}`;
}

/** The roles of this database and the database itself, created or brought up to date. */
async function ensureRolesAndDatabase(client: pg.Client, database: DatabaseConfig): Promise<void> {
  const owner = loginOf(database.ownerUrl);
  const authenticator = loginOf(database.authenticatorUrl);
  const { roles } = database;
  await ensureRole(client, owner.name, loginAttributes(owner));
  await ensureRole(
    client,
    authenticator.name,
    loginAttributes(authenticator, "noinherit nosuperuser nocreatedb nocreaterole"),
  );
  for (const name of [roles.anonymous, roles.user, roles.service]) {
    await ensureRole(client, name, "nologin");
    await client.query(`grant ${ident(name)} to ${ident(authenticator.name)}`);
  }
  for (const name of [database.databaseName, ...(database.shadowUrl ? [shadowName(database)] : [])]) {
    const { rowCount } = await client.query("select 1 from pg_database where datname = $1", [name]);
    if (rowCount === 0) {
      await client.query(`create database ${ident(name)} owner ${ident(owner.name)}`);
    }
  }
}

/**
 * Creates, idempotently and as the root connection, what migrations cannot
 * create for themselves: the cluster-global roles of this database and the
 * database itself. Grants on objects live in the migrations. Instances
 * starting together take turns, or two would create the same role.
 */
export async function setupDatabase(database: DatabaseConfig): Promise<void> {
  if (!database.rootUrl) {
    throw new Error("ROOT_DATABASE_URL is needed to create the database and its roles");
  }
  await withClient(database.rootUrl, (client) =>
    takingTurns(client, "setup", () => ensureRolesAndDatabase(client, database)),
  );
}

function shadowName(database: DatabaseConfig): string {
  return decodeURIComponent(new URL(database.shadowUrl!).pathname.slice(1));
}

/** Drops a database and its roles: for tests and `db:reset` of throwaway databases. */
export async function dropDatabase(database: DatabaseConfig): Promise<void> {
  if (!database.rootUrl) throw new Error("ROOT_DATABASE_URL is needed to drop the database");
  const owner = loginOf(database.ownerUrl).name;
  const authenticator = loginOf(database.authenticatorUrl).name;
  await withClient(database.rootUrl, async (client) => {
    const names = [database.databaseName, ...(database.shadowUrl ? [shadowName(database)] : [])];
    for (const name of names) {
      await client.query(`drop database if exists ${ident(name)} with (force)`);
    }
    const { roles } = database;
    for (const name of [roles.anonymous, roles.user, roles.service, authenticator, owner]) {
      await client.query(`drop role if exists ${ident(name)}`);
    }
  });
}
