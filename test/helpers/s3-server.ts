import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import S3rver from "s3rver";
import { freePort } from "./ports.js";

/** The access key and secret s3rver accepts, as the AWS SDK's default credential chain reads them. */
export const S3RVER_CREDENTIALS = { AWS_ACCESS_KEY_ID: "S3RVER", AWS_SECRET_ACCESS_KEY: "S3RVER" };

export interface S3Server {
  /** The http:// URL to give as ARCHIVE_S3_ENDPOINT (with path-style addressing). */
  endpoint: string;
  /** Stops the server and deletes its files. */
  stop(): Promise<void>;
}

/**
 * A real S3-compatible HTTP server (s3rver) on 127.0.0.1 and a free port,
 * storing objects in a temporary directory, with `buckets` created.
 */
export async function startS3Server(buckets: string[]): Promise<S3Server> {
  const directory = await fs.mkdtemp(path.join(os.tmpdir(), "auth-db-s3-"));
  const port = await freePort();
  const server = new S3rver({ address: "127.0.0.1", port, directory, silent: true, configureBuckets: buckets.map((name) => ({ name })) });
  await server.run();
  return {
    endpoint: `http://127.0.0.1:${port}`,
    async stop() {
      await server.close();
      await fs.rm(directory, { recursive: true, force: true });
    },
  };
}
