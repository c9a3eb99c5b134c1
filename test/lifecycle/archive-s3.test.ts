import { createHash, randomBytes } from "node:crypto";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { createGunzip } from "node:zlib";
import { GetObjectCommand, ListObjectsV2Command, S3Client } from "@aws-sdk/client-s3";
import copyStreams from "pg-copy-streams";
import { loadConfig, type S3ArchiveConfig } from "../../src/config/config.js";
import { exportArchive } from "../../src/lifecycle/archive-export.js";
import { jobContextFor } from "../../src/lifecycle/context.js";
import { runJob } from "../../src/lifecycle/jobs.js";
import { s3Target } from "../../src/lifecycle/s3-target.js";
import { archivedEventDay, archiveTables, rowsAsText } from "../helpers/archived-events.js";
import { createTestDatabase, type TestDatabase } from "../helpers/database.js";
import { S3RVER_CREDENTIALS, startS3Server, type S3Server } from "../helpers/s3-server.js";

const BUCKET = "auth-db-archive";
const PREFIX = "auth-db/test";

let s3: S3Server;
let client: S3Client;
beforeAll(async () => {
  s3 = await startS3Server([BUCKET]);
  // The target takes its credentials from the SDK's default chain, as in production.
  Object.assign(process.env, S3RVER_CREDENTIALS);
  client = new S3Client({ endpoint: s3.endpoint, region: "us-east-1", forcePathStyle: true });
});
afterAll(async () => {
  client?.destroy();
  await s3?.stop();
});

let db: TestDatabase;
beforeEach(async () => {
  db = await createTestDatabase();
});
afterEach(async () => {
  await db?.drop();
});

function bucket(name = BUCKET): S3ArchiveConfig {
  return { bucket: name, endpoint: s3.endpoint, region: "us-east-1", prefix: PREFIX, forcePathStyle: true };
}

async function keysInBucket(): Promise<string[]> {
  const { Contents = [] } = await client.send(new ListObjectsV2Command({ Bucket: BUCKET }));
  return Contents.map((object) => object.Key!).sort();
}

async function objectBytes(key: string): Promise<Buffer> {
  const { Body } = await client.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
  return Buffer.from(await Body!.transformToByteArray());
}

test("with ARCHIVE_S3_BUCKET set, an archived table is exported to the bucket under its Hive-style key with a manifest", async () => {
  const { table, day } = await archivedEventDay(db, 50);
  const config = loadConfig({
    ...db.env,
    ARCHIVE_S3_BUCKET: BUCKET,
    ARCHIVE_S3_ENDPOINT: s3.endpoint,
    ARCHIVE_S3_PREFIX: PREFIX,
    ARCHIVE_S3_FORCE_PATH_STYLE: "true",
  });
  await runJob("archive_export", jobContextFor(config));

  const [year, month, date] = day.toISOString().slice(0, 10).split("-");
  const prefix = `${PREFIX}/security_events/year=${year}/month=${month}/day=${date}`;
  expect((await keysInBucket()).filter((key) => key.startsWith(prefix))).toEqual([`${prefix}/${table}.csv.gz`, `${prefix}/${table}.manifest.json`]);
  const manifest = JSON.parse((await objectBytes(`${prefix}/${table}.manifest.json`)).toString("utf8"));
  const sha256 = createHash("sha256").update(await objectBytes(`${prefix}/${table}.csv.gz`)).digest("hex");
  expect(manifest).toMatchObject({ table: `archive.${table}`, rows: 50, sha256, format: "csv+gzip" });
  const { rows } = await db.asOwner((owner) => owner.query("select location, sha256 from archive.exports where table_name = $1", [table]));
  expect(rows).toEqual([{ location: `s3://${BUCKET}/${prefix}/${table}.csv.gz`, sha256 }]);
});

test("the object in the bucket loads back into the same rows", async () => {
  const { table } = await archivedEventDay(db, 25);
  const original = await rowsAsText(db, `archive.${table}`);
  const run = await db.asOwner((owner) => exportArchive(owner, s3Target(bucket())));
  const object = await objectBytes(`${PREFIX}/${run.exported[0]!.key}`);
  const reloaded = await db.asOwner(async (owner) => {
    await owner.query("create temporary table reloaded (like auth.security_events)");
    await pipeline(Readable.from([object]), createGunzip(), owner.query(copyStreams.from("copy reloaded from stdin with (format csv, header)")));
    const { rows } = await owner.query("select t::text as r from reloaded t order by created_at, id");
    return rows.map((row) => row.r);
  });
  expect(reloaded).toEqual(original);
});

test("the table is dropped only after its export to the bucket is verified", async () => {
  const { table } = await archivedEventDay(db, 10);
  const dry = await db.asOwner((owner) => exportArchive(owner, s3Target(bucket()), { dryRun: true }));
  expect(dry.processed).toEqual([expect.objectContaining({ table_name: table, action: "wait" })]);
  expect(await archiveTables(db)).toEqual([table]);

  const run = await db.asOwner((owner) => exportArchive(owner, s3Target(bucket())));
  expect(run.processed).toEqual([
    expect.objectContaining({ table_name: table, action: "drop", detail: expect.stringContaining(`s3://${BUCKET}/${PREFIX}/`) }),
  ]);
  expect(await archiveTables(db)).toEqual([]);
});

test("an export to a bucket that does not exist fails, leaves the table in archive, and a rerun with the right bucket completes", async () => {
  const { table } = await archivedEventDay(db, 10);
  await expect(db.asOwner((owner) => exportArchive(owner, s3Target(bucket("no-such-bucket"))))).rejects.toThrow(
    `archive bucket s3://no-such-bucket at ${s3.endpoint}: the bucket does not exist`,
  );
  expect(await archiveTables(db)).toEqual([table]);

  const run = await db.asOwner((owner) => exportArchive(owner, s3Target(bucket())));
  expect(run.exported).toEqual([expect.objectContaining({ table, rows: 10 })]);
  expect(await archiveTables(db)).toEqual([]);
});

test("a write to a bucket that does not exist fails before opening its source", async () => {
  let opened = false;
  const open = () => {
    opened = true;
    return Readable.from(["never read"]);
  };
  await expect(s3Target(bucket("no-such-bucket")).write("some/key.csv.gz", open)).rejects.toThrow("the bucket does not exist");
  expect(opened).toBe(false);
});

test("a multipart upload whose source fails mid-way leaves no object under its key", async () => {
  // Past the 5 MiB first part, so the upload is multipart when the source breaks.
  async function* breaksAfterSevenMiB() {
    for (let mib = 0; mib < 7; mib++) yield randomBytes(1 << 20);
    throw new Error("the source broke");
  }
  await expect(s3Target(bucket()).write("half/written.bin", () => Readable.from(breaksAfterSevenMiB()))).rejects.toThrow(
    new RegExp(`^s3://${BUCKET}/${PREFIX}/half/written\\.bin: upload failed, nothing stored under this key: the source broke`),
  );
  expect(await keysInBucket()).not.toContain(`${PREFIX}/half/written.bin`);
});
