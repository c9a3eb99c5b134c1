import net from "node:net";
import { freePort } from "./ports.js";

/** One statement a client asked PostgreSQL to run. */
export interface CountedStatement {
  connection: number;
  text: string;
}

export interface StatementCounter {
  port: number;
  /** Statements seen since the last reset. */
  readonly statements: CountedStatement[];
  /**
   * Round trips since the last reset: the times a connection's client wrote
   * after PostgreSQL last answered it (or for the first time), over all
   * connections. Messages written together before any answer are one.
   */
  readonly roundTrips: number;
  reset(): void;
  close(): Promise<void>;
}

const SSL_REQUEST = 80877103;
const GSSENC_REQUEST = 80877104;

/**
 * Reads the frontend half of the PostgreSQL wire protocol of one connection
 * and reports each statement execution: a simple Query ('Q') or an extended
 * protocol Execute ('E'), whose text comes from the Parse of the statement
 * that the portal was bound to. Prepared statements are parsed once per
 * connection and executed many times, so counting Parse would undercount.
 */
class FrontendReader {
  private buffer = Buffer.alloc(0);
  private untyped = true;
  private readonly prepared = new Map<string, string>();
  private readonly portals = new Map<string, string>();

  constructor(private readonly onStatement: (text: string) => void) {}

  push(chunk: Buffer): void {
    this.buffer = Buffer.concat([this.buffer, chunk]);
    for (;;) {
      if (this.untyped) {
        // Startup, SSLRequest and GSSENCRequest carry no type byte.
        if (this.buffer.length < 8) return;
        const length = this.buffer.readInt32BE(0);
        if (this.buffer.length < length) return;
        const code = this.buffer.readInt32BE(4);
        this.buffer = this.buffer.subarray(length);
        if (code !== SSL_REQUEST && code !== GSSENC_REQUEST) this.untyped = false;
        continue;
      }
      if (this.buffer.length < 5) return;
      const length = this.buffer.readInt32BE(1);
      if (this.buffer.length < 1 + length) return;
      const type = String.fromCharCode(this.buffer[0]!);
      const body = this.buffer.subarray(5, 1 + length);
      this.buffer = this.buffer.subarray(1 + length);
      this.message(type, body);
    }
  }

  private message(type: string, body: Buffer): void {
    const strings = (count: number) => {
      const out: string[] = [];
      let at = 0;
      for (let i = 0; i < count; i++) {
        const end = body.indexOf(0, at);
        out.push(body.toString("utf8", at, end));
        at = end + 1;
      }
      return out;
    };
    if (type === "Q") {
      this.onStatement(strings(1)[0]!);
    } else if (type === "P") {
      const [name, text] = strings(2);
      this.prepared.set(name!, text!);
    } else if (type === "B") {
      const [portal, statement] = strings(2);
      this.portals.set(portal!, this.prepared.get(statement!) ?? `(prepared statement ${statement})`);
    } else if (type === "E") {
      const [portal] = strings(1);
      this.onStatement(this.portals.get(portal!) ?? "(unknown portal)");
    }
  }
}

/**
 * A TCP proxy in front of PostgreSQL that counts the statements passing
 * through it. Measuring at the wire needs no change to the server under
 * test (its connection string just points here) and no pg_stat_statements.
 */
export async function startStatementCounter(target: { host: string; port: number }): Promise<StatementCounter> {
  const statements: CountedStatement[] = [];
  const sockets = new Set<net.Socket>();
  let connections = 0;
  let roundTrips = 0;
  const server = net.createServer((client) => {
    const id = ++connections;
    const upstream = net.connect(target.port, target.host);
    const reader = new FrontendReader((text) => statements.push({ connection: id, text }));
    let clientsTurn = false;
    sockets.add(client).add(upstream);
    client.on("data", (chunk: Buffer) => {
      if (!clientsTurn) roundTrips++;
      clientsTurn = true;
      reader.push(chunk);
      upstream.write(chunk);
    });
    upstream.on("data", () => {
      clientsTurn = false;
    });
    upstream.pipe(client);
    const close = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on("close", close).on("error", close);
    upstream.on("close", close).on("error", close);
  });
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  return {
    port,
    statements,
    get roundTrips() {
      return roundTrips;
    },
    reset() {
      statements.splice(0);
      roundTrips = 0;
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
