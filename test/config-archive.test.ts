import { loadConfig } from "../src/config/config.js";
import { problemsOf } from "./helpers/config-problems.js";

test("without ARCHIVE_S3_BUCKET archive exports go to ARCHIVE_DIR", () => {
  const config = loadConfig({ ARCHIVE_DIR: "exports" }, "/srv/auth-db");
  expect(config.lifecycle).toMatchObject({ archiveDir: "/srv/auth-db/exports", archiveS3: undefined });
});

test("ARCHIVE_S3_BUCKET selects the bucket, in us-east-1 unless ARCHIVE_S3_REGION says otherwise", () => {
  expect(loadConfig({ ARCHIVE_S3_BUCKET: "auth-db-archive" }, "/srv").lifecycle.archiveS3).toEqual({
    bucket: "auth-db-archive",
    endpoint: undefined,
    region: "us-east-1",
    prefix: undefined,
    forcePathStyle: false,
  });
  const config = loadConfig(
    {
      ARCHIVE_S3_BUCKET: "auth-db-archive",
      ARCHIVE_S3_ENDPOINT: "http://minio.internal:9000",
      ARCHIVE_S3_REGION: "eu-central-1",
      ARCHIVE_S3_PREFIX: "/auth-db/production/",
      ARCHIVE_S3_FORCE_PATH_STYLE: "true",
    },
    "/srv",
  );
  expect(config.lifecycle.archiveS3).toEqual({
    bucket: "auth-db-archive",
    endpoint: "http://minio.internal:9000",
    region: "eu-central-1",
    prefix: "auth-db/production",
    forcePathStyle: true,
  });
});

test("malformed archive bucket settings are each named in the error", () => {
  expect(
    problemsOf({
      ARCHIVE_S3_BUCKET: "s3://auth-db-archive/exports",
      ARCHIVE_S3_ENDPOINT: "minio.internal:9000",
      ARCHIVE_S3_REGION: "EU Central",
      ARCHIVE_S3_PREFIX: "auth-db//production",
      ARCHIVE_S3_FORCE_PATH_STYLE: "yes",
    }),
  ).toEqual([
    "ARCHIVE_S3_BUCKET: expected a bucket name: 3 to 63 lower-case letters, digits, dots and hyphens (no s3:// or path)",
    "ARCHIVE_S3_ENDPOINT: expected an http(s):// URL",
    "ARCHIVE_S3_REGION: expected a region name like us-east-1",
    "ARCHIVE_S3_PREFIX: expected key segments separated by single slashes, like auth-db/production",
    "ARCHIVE_S3_FORCE_PATH_STYLE: expected true or false",
  ]);
});

test("bucket settings without ARCHIVE_S3_BUCKET are refused rather than ignored", () => {
  expect(problemsOf({ ARCHIVE_S3_ENDPOINT: "http://minio.internal:9000", ARCHIVE_S3_FORCE_PATH_STYLE: "true" })).toEqual([
    "ARCHIVE_S3_ENDPOINT: only used with ARCHIVE_S3_BUCKET, which is not set",
    "ARCHIVE_S3_FORCE_PATH_STYLE: only used with ARCHIVE_S3_BUCKET, which is not set",
  ]);
});
