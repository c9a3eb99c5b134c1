/** One HTTP request, as the load worker and the probes send it. */
export interface HttpRequestSpec {
  path: string;
  method: "GET" | "POST";
  headers: Record<string, string>;
  body?: string;
}

/** The permission check most scenarios load auth-db with: one the benchmark's reader and service key are granted. */
export const HAS_PERMISSION_QUERY = '{ hasPermission(resource: "users", action: read) }';

const JSON_HEADERS = { "content-type": "application/json", accept: "application/json" };

/** A GraphQL POST to /graphql with a bearer token. */
export function graphqlRequest(token: string, query: string, variables?: Record<string, unknown>): HttpRequestSpec {
  return {
    path: "/graphql",
    method: "POST",
    headers: { ...JSON_HEADERS, authorization: `Bearer ${token}` },
    body: JSON.stringify(variables ? { query, variables } : { query }),
  };
}

/** A GraphQL POST to /graphql authenticated by an API key, as a service would send it. */
export function graphqlRequestWithApiKey(key: string, query: string): HttpRequestSpec {
  return {
    path: "/graphql",
    method: "POST",
    headers: { ...JSON_HEADERS, "x-api-key": key },
    body: JSON.stringify({ query }),
  };
}

/** A JSON POST to a baseline server's endpoint with a bearer token. */
export function jsonRequest(token: string, path: string, body: unknown): HttpRequestSpec {
  return {
    path,
    method: "POST",
    headers: { ...JSON_HEADERS, authorization: `Bearer ${token}` },
    body: JSON.stringify(body),
  };
}

export interface ProbeResponse {
  status: number;
  body: string;
}

/** Sends the request once; used to check an answer before loading the endpoint with it. */
export async function probe(baseUrl: string, request: HttpRequestSpec): Promise<ProbeResponse> {
  const response = await fetch(`${baseUrl}${request.path}`, {
    method: request.method,
    headers: request.headers,
    body: request.body,
  });
  return { status: response.status, body: await response.text() };
}
