import { chown, mkdir, stat } from "node:fs/promises";
import { join } from "node:path";
import postgres from "postgres";
import { mountSmallDisk, type SmallDisk, smallDiskSupport } from "./small-disk.ts";

/**
 * A PostgreSQL tablespace on a size-limited tmpfs: tables moved into it live on a disk that really
 * fills up, so the server answers their writes with SQLSTATE 53100 disk_full ("could not extend
 * file … No space left on device"). WAL and the catalogs stay on the server's own disk, so
 * everything else keeps working, as when a data volume fills up.
 *
 * Needs a PostgreSQL server on this machine (its data directory is visible here, to find the
 * user it runs as), a superuser connection, and root to mount the tmpfs.
 */
export interface PgSmallTablespace {
  readonly name: string;
  /** Moves every table and index of `schema` into the tablespace (the sequences stay behind). */
  moveSchema(schema: string): Promise<void>;
  /**
   * Fills the disk. PostgreSQL refuses a write only when a table or index must grow by a page:
   * rows that fit in pages already there are still taken. Moved tables are given fillfactor 10,
   * so each page takes few rows and a full disk shows after a handful of writes.
   */
  fill(): Promise<void>;
  /** Space returns. */
  free(): Promise<void>;
  /** Drops the tablespace (drop what is in it first) and unmounts the disk. */
  drop(): Promise<void>;
}

const connect = (url: string) => postgres(url, { max: 1, onnotice: () => {} });

/** Whether a tablespace can be made here, and why not. */
async function pgSmallTablespaceSupport(url: string): Promise<{ ok: true } | { ok: false; reason: string }> {
  const disk = smallDiskSupport();
  if (!disk.ok) return disk;
  const sql = connect(url);
  try {
    const [r] = await sql`SELECT current_setting('data_directory') AS dir, rolsuper AS su
      FROM pg_roles WHERE rolname = current_user`;
    if (!r?.su) return { ok: false, reason: "CREATE TABLESPACE needs a superuser connection" };
    try {
      await stat(r.dir as string);
    } catch {
      return { ok: false, reason: `PostgreSQL's data directory ${r.dir} is not on this machine` };
    }
    return { ok: true };
  } catch (err) {
    return { ok: false, reason: `cannot query PostgreSQL: ${String(err)}` };
  } finally {
    await sql.end({ timeout: 5 });
  }
}

/** As `requireSmallDisk`: skip (false) on a developer machine without support, throw under CI=true. */
export async function requirePgSmallTablespace(url: string): Promise<boolean> {
  const support = await pgSmallTablespaceSupport(url);
  if (support.ok) return true;
  if (process.env.CI === "true")
    throw new Error(`PostgreSQL disk-full tests need a local server and root under CI: ${support.reason}`);
  return false;
}

/** Creates a tablespace on a fresh tmpfs of `sizeBytes`. */
export async function pgSmallTablespace(url: string, sizeBytes: number): Promise<PgSmallTablespace> {
  const sql = connect(url);
  const name = `small_disk_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
  let disk: SmallDisk | undefined;
  try {
    const [r] = await sql`SELECT current_setting('data_directory') AS dir`;
    // The tablespace directory belongs to the user the server runs as, like its data directory.
    const owner = await stat(r?.dir as string);
    disk = await mountSmallDisk(sizeBytes, "0755");
    const location = join(disk.dir, "tablespace");
    await mkdir(location);
    await chown(location, owner.uid, owner.gid);
    await sql.unsafe(`CREATE TABLESPACE "${name}" LOCATION '${location}'`);
  } catch (err) {
    await sql.end({ timeout: 5 });
    await disk?.unmount();
    throw err;
  }
  const d = disk;
  return {
    name,
    async moveSchema(schema) {
      const rels = await sql`
        SELECT c.relname, c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = ${schema} AND c.relkind IN ('r', 'i') ORDER BY c.relkind DESC`;
      for (const { relname, relkind } of rels) {
        const kind = relkind === "r" ? "TABLE" : "INDEX";
        const rel = `"${schema}"."${relname}"`;
        await sql.unsafe(`ALTER ${kind} ${rel} SET TABLESPACE "${name}"`);
        if (relkind === "r") await sql.unsafe(`ALTER TABLE ${rel} SET (fillfactor = 10)`);
      }
    },
    fill: () => d.fill(),
    free: () => d.free(),
    async drop() {
      try {
        await sql.unsafe(`DROP TABLESPACE IF EXISTS "${name}"`);
      } finally {
        await sql.end({ timeout: 5 });
        await d.unmount();
      }
    },
  };
}
