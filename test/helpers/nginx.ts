import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { freePort, portAccepts } from "./ports.js";

export interface Nginx {
  /** Where nginx serves, e.g. http://127.0.0.1:40123. */
  url: string;
  /** Stops nginx and deletes its directory. */
  stop(): Promise<void>;
}

/** The nginx binary; a missing one fails the test with how to install it, never skips it. */
function nginxBinary(): string {
  const directories = [...(process.env.PATH ?? "").split(path.delimiter), "/usr/sbin", "/usr/local/sbin"];
  const found = directories.filter(Boolean).map((dir) => path.join(dir, "nginx")).find((file) => existsSync(file));
  if (!found) {
    throw new Error(
      "nginx is not installed; these tests put two auth-db instances behind it. Install the Debian package: apt-get install nginx (.ci/run does).",
    );
  }
  return found;
}

/**
 * nginx's configuration: round robin over `upstreams`, and a request that
 * could not reach one (refused, timed out, 502, 503) is passed to the next.
 * Everything it writes (pid, logs, temporary files) stays inside `dir`.
 */
export function nginxConfig(dir: string, port: number, upstreams: number[]): string {
  const asRoot = process.getuid?.() === 0;
  return `daemon off;
${asRoot ? "user root;\n" : ""}worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 256; }
http {
  access_log ${dir}/access.log;
  client_body_temp_path ${dir}/client_body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  upstream auth_db {
${upstreams.map((upstream) => `    server 127.0.0.1:${upstream} max_fails=1 fail_timeout=10s;`).join("\n")}
  }
  server {
    listen 127.0.0.1:${port};
    location / {
      proxy_pass http://auth_db;
      proxy_next_upstream error timeout http_502 http_503;
      proxy_connect_timeout 2s;
      proxy_set_header Host $host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      # Which instance answered (both, in order, when the first failed).
      add_header X-Upstream $upstream_addr always;
    }
  }
}
`;
}

/** Resolves once `port` accepts connections; false if it did not within `timeoutMs`. */
async function accepts(port: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await portAccepts(port)) return true;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return false;
}

/** Runs nginx in the foreground, on 127.0.0.1 and a free port, in front of the instances on `upstreams`. */
export async function startNginx(upstreams: number[]): Promise<Nginx> {
  const binary = nginxBinary();
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), "auth-db-nginx-"));
  const port = await freePort();
  const conf = path.join(dir, "nginx.conf");
  await fs.writeFile(conf, nginxConfig(dir, port, upstreams));
  const child = spawn(binary, ["-p", `${dir}/`, "-c", conf, "-e", path.join(dir, "error.log")], { stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout!.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  let running = true;
  void exited.then(() => (running = false));

  const stop = async () => {
    if (running) {
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
      await exited;
      clearTimeout(timer);
    }
    await fs.rm(dir, { recursive: true, force: true });
  };
  if (!(await accepts(port, 10_000)) || !running) {
    const log = await fs.readFile(path.join(dir, "error.log"), "utf8").catch(() => "");
    await stop();
    throw new Error(`nginx did not start on 127.0.0.1:${port}:\n${output}${log}`);
  }
  return { url: `http://127.0.0.1:${port}`, stop };
}
