import fs from "node:fs/promises";
import path from "node:path";
import { z } from "zod";

export const MANIFEST_FILE = "manifest.json";
export const MANIFEST_FORMAT = "auth-db-backup/1";

/** A plain file name inside the backup directory: no path, nothing hidden. */
const fileName = z.string().regex(/^[A-Za-z0-9_][A-Za-z0-9_.-]*$/, "expected a plain file name");
const bigintText = z.string().regex(/^(0|[1-9][0-9]*)$/, "expected a whole number");
const sha256 = z.string().regex(/^[0-9a-f]{64}$/, "expected 64 hex characters");

const manifestSchema = z
  .object({
    format: z.literal(MANIFEST_FORMAT),
    createdAt: z.iso.datetime({ offset: true }),
    database: z.string(),
    /** graphile-migrate's list at backup time: restore needs the same schema version. */
    migrations: z.array(z.object({ filename: z.string(), hash: z.string() })),
    /** auth.audit_chain_head in the snapshot; keep it outside the database for `audit:verify --expect-head`. */
    auditChainHead: z.object({ seq: bigintText, hash: z.string() }),
    /** The highest value each sequence of schema auth had handed out. */
    sequences: z.array(z.object({ sequence: z.string(), lastValue: bigintText })),
    /** Range partitions of the partitioned tables, recreated before their rows are loaded. */
    partitions: z.array(
      z.object({ parent: z.string(), name: z.string(), from: z.iso.datetime(), to: z.iso.datetime() }),
    ),
    /** One gzip-compressed COPY text file per table, in foreign-key order. */
    tables: z.array(
      z.object({
        table: z.string(),
        file: fileName,
        columns: z.array(z.string()).min(1),
        rows: z.number().int().min(0),
        sha256,
      }),
    ),
  })
  .superRefine((manifest, ctx) => {
    for (const key of ["table", "file"] as const) {
      const seen = new Set<string>();
      for (const entry of manifest.tables) {
        if (seen.has(entry[key])) ctx.addIssue({ code: "custom", message: `${entry[key]} is listed twice`, path: ["tables"] });
        seen.add(entry[key]);
      }
    }
  });

export type Manifest = z.infer<typeof manifestSchema>;
export type TableEntry = Manifest["tables"][number];

/** Writes the manifest last, flushed, so a directory with a manifest holds a complete backup. */
export async function writeManifest(dir: string, manifest: Manifest): Promise<void> {
  await fs.writeFile(path.join(dir, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`, { flush: true });
}

/** Reads and validates a backup's manifest; refuses anything that is not one, saying why. */
export async function readManifest(dir: string): Promise<Manifest> {
  const file = path.join(dir, MANIFEST_FILE);
  let text: string;
  try {
    text = await fs.readFile(file, "utf8");
  } catch (error) {
    const missing = (error as NodeJS.ErrnoException).code === "ENOENT";
    throw new Error(`${dir} is not a backup: ${missing ? `${MANIFEST_FILE} is missing` : `cannot read ${MANIFEST_FILE}`}`, {
      cause: error,
    });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new Error(`${file} is not valid JSON`);
  }
  const parsed = manifestSchema.safeParse(json);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join(".") || "(top)"}: ${issue.message}`);
    throw new Error(`${file} is not an auth-db backup manifest:\n  - ${problems.join("\n  - ")}`);
  }
  return parsed.data;
}
