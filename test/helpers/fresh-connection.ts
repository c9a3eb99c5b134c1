import http from "node:http";

export interface PlainResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: unknown;
}

/**
 * POSTs a GraphQL query over a new connection of its own (no keep-alive
 * pool), so that a process killed since the last request cannot fail the
 * next one through a dead pooled socket.
 */
export function postOnFreshConnection(
  baseUrl: string,
  query: string,
  headers: Record<string, string> = {},
): Promise<PlainResponse> {
  const payload = JSON.stringify({ query });
  return new Promise((resolve, reject) => {
    const request = http.request(`${baseUrl}/graphql`, {
      method: "POST",
      agent: false,
      headers: { "content-type": "application/json", "content-length": Buffer.byteLength(payload), ...headers },
      timeout: 10_000,
    });
    request.on("response", (response) => {
      let body = "";
      response.on("data", (chunk: Buffer) => (body += chunk.toString()));
      response.on("end", () => resolve({ status: response.statusCode!, headers: response.headers, body: JSON.parse(body) }));
      response.on("error", reject);
    });
    request.on("timeout", () => request.destroy(new Error(`no answer from ${baseUrl} within 10 s`)));
    request.on("error", reject);
    request.end(payload);
  });
}
