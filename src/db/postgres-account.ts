import { execFile } from "node:child_process";
import { promisify } from "node:util";

const run = promisify(execFile);

/** The system user the embedded PostgreSQL runs as. */
export interface Account {
  name: string;
  uid: number;
  gid: number;
}

const NAME = "postgres";
// groupadd/useradd live in sbin, which a non-login root shell may lack.
const env = { ...process.env, PATH: `${process.env.PATH ?? ""}:/usr/sbin:/sbin` };

export function runningAsRoot(): boolean {
  return typeof process.getuid === "function" && process.getuid() === 0;
}

async function lookUp(): Promise<Account | undefined> {
  try {
    const [uid, gid] = await Promise.all([run("id", ["-u", NAME], { env }), run("id", ["-g", NAME], { env })]);
    return { name: NAME, uid: Number.parseInt(uid.stdout, 10), gid: Number.parseInt(gid.stdout, 10) };
  } catch {
    return undefined;
  }
}

/**
 * PostgreSQL refuses to run as root, so as root the embedded cluster runs as
 * the `postgres` system user, created when missing. Undefined when not root:
 * the cluster then runs as the current user.
 */
export async function postgresAccount(): Promise<Account | undefined> {
  if (!runningAsRoot()) return undefined;
  const existing = await lookUp();
  if (existing) return existing;
  try {
    await run("groupadd", ["--system", NAME], { env }).catch(async (error: unknown) => {
      // The group may exist without the user.
      if ((await run("getent", ["group", NAME], { env }).catch(() => undefined)) === undefined) throw error;
    });
    await run("useradd", ["--system", "--gid", NAME, "--no-create-home", NAME], { env });
  } catch (error) {
    const reason = (error as { stderr?: string }).stderr?.trim() || (error as Error).message;
    throw new Error(
      `embedded PostgreSQL: as root it runs as the "${NAME}" system user, which is missing and could not be created (${reason}); create it (useradd --system ${NAME}), run as another user, or set DATABASE_URL`,
    );
  }
  const created = await lookUp();
  if (!created) throw new Error(`embedded PostgreSQL: the "${NAME}" system user was created but "id ${NAME}" does not find it`);
  return created;
}
