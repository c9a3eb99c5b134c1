/**
 * The Postgres roles of one auth-db database. Role names are global to a
 * cluster, so every name carries a prefix derived from the database: two
 * auth-db databases in one cluster never share (or fight over) a role.
 */
export interface RoleNames {
  /** What every name below starts with. */
  prefix: string;
  /** Owns the schema; migrations run as it. */
  owner: string;
  /** The server's LOGIN role: NOINHERIT, switches to one of the three below per request. */
  authenticator: string;
  /** A request without credentials. */
  anonymous: string;
  /** A request with a valid Keycloak token. */
  user: string;
  /** A request with a valid API key. */
  service: string;
}

export function roleNamesFor(prefix: string): RoleNames {
  return {
    prefix,
    owner: `${prefix}_owner`,
    authenticator: `${prefix}_authenticator`,
    anonymous: `${prefix}_anonymous`,
    user: `${prefix}_user`,
    service: `${prefix}_service`,
  };
}

/** The graphile-migrate placeholders (see .gmrc) that carry the role names into SQL. */
export function rolePlaceholders(roles: RoleNames): Record<string, string> {
  return {
    AUTH_AUTHENTICATOR: roles.authenticator,
    AUTH_ANONYMOUS: roles.anonymous,
    AUTH_USER: roles.user,
    AUTH_SERVICE: roles.service,
  };
}
