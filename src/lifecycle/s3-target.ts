import { AbortMultipartUploadCommand, GetObjectCommand, HeadBucketCommand, S3Client, S3ServiceException } from "@aws-sdk/client-s3";
import { Upload } from "@aws-sdk/lib-storage";
import type { Readable } from "node:stream";
import type { S3ArchiveConfig } from "../config/config.js";
import type { ArchiveTarget } from "./archive-target.js";

/** The MIME type recorded with an object, from its key's extension. */
function contentTypeOf(key: string): string {
  if (key.endsWith(".gz")) return "application/gzip";
  if (key.endsWith(".json")) return "application/json";
  return "application/octet-stream";
}

const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

/**
 * Why HeadBucket refused, in words: a HEAD response has no body, so the
 * SDK's own message for a 404 or 403 is just "UnknownError".
 */
function bucketProblem(error: unknown): string {
  const status = error instanceof S3ServiceException ? error.$metadata.httpStatusCode : undefined;
  if (status === 404) return "the bucket does not exist";
  if (status === 403) return "access denied (check the credentials and the bucket policy)";
  return messageOf(error);
}

/**
 * An S3 bucket (AWS or an S3-compatible service such as MinIO, with
 * `endpoint` and usually `forcePathStyle`). Credentials come from the SDK's
 * default provider chain (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, profiles,
 * instance roles). Objects are streamed as multipart uploads, a few 5 MiB
 * parts in flight at a time, so memory does not grow with object size; an
 * object appears under its key only when its upload completes, so a failed
 * write leaves nothing there.
 */
export function s3Target(config: S3ArchiveConfig): ArchiveTarget {
  const client = new S3Client({ region: config.region, endpoint: config.endpoint, forcePathStyle: config.forcePathStyle });
  const { bucket } = config;
  const objectKey = (key: string) => (config.prefix ? `${config.prefix}/${key}` : key);
  const locate = (key: string) => `s3://${bucket}/${objectKey(key)}`;

  /** Checked before each write, so a missing bucket or bad credentials fail before the source starts producing. */
  async function ensureBucket(): Promise<void> {
    try {
      await client.send(new HeadBucketCommand({ Bucket: bucket }));
    } catch (error) {
      const where = config.endpoint ? ` at ${config.endpoint}` : "";
      throw new Error(`archive bucket s3://${bucket}${where}: ${bucketProblem(error)}`, { cause: error });
    }
  }

  /**
   * Discards the parts of a failed multipart upload (they are not an
   * object, but they are stored). Says what happened, for the error.
   */
  async function discardParts(key: string, uploadId: string | undefined): Promise<string> {
    if (!uploadId) return "";
    try {
      await client.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: objectKey(key), UploadId: uploadId }));
      return "";
    } catch (error) {
      return `; its uploaded parts could not be discarded (${messageOf(error)}), a bucket lifecycle rule AbortIncompleteMultipartUpload removes them`;
    }
  }

  return {
    locate,
    async write(key, open) {
      await ensureBucket();
      const body = open();
      const upload = new Upload({
        client,
        params: { Bucket: bucket, Key: objectKey(key), Body: body, ContentType: contentTypeOf(key) },
        // We abort ourselves, so that a failed abort cannot hide why the upload failed.
        leavePartsOnError: true,
      });
      try {
        await upload.done();
      } catch (error) {
        body.destroy();
        const discarded = await discardParts(key, upload.uploadId);
        throw new Error(`${locate(key)}: upload failed, nothing stored under this key: ${messageOf(error)}${discarded}`, { cause: error });
      }
    },
    async read(key) {
      try {
        const { Body } = await client.send(new GetObjectCommand({ Bucket: bucket, Key: objectKey(key) }));
        return Body as Readable;
      } catch (error) {
        throw new Error(`${locate(key)}: cannot read it back: ${messageOf(error)}`, { cause: error });
      }
    },
  };
}
