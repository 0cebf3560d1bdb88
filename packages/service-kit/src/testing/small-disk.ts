import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { mkdtemp, open, rm, unlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** A size-limited tmpfs mounted for one test file: a disk that really fills up. */
export interface SmallDisk {
  /** The mount point. */
  readonly dir: string;
  /** Writes a filler file until the filesystem answers ENOSPC. */
  fill(): Promise<void>;
  /** Deletes the filler: space returns. */
  free(): Promise<void>;
  /** Unmounts and removes the mount point (call in afterAll). */
  unmount(): Promise<void>;
}

/** Whether this process can mount a tmpfs (root, or CAP_SYS_ADMIN), and why not. */
export function smallDiskSupport(): { ok: true } | { ok: false; reason: string } {
  const dir = mkdtempSync(join(tmpdir(), "small-disk-probe-"));
  try {
    execFileSync("mount", ["-t", "tmpfs", "-o", "size=64k", "tmpfs", dir], { stdio: "pipe" });
    execFileSync("umount", [dir], { stdio: "pipe" });
    return { ok: true };
  } catch (err) {
    const stderr = (err as { stderr?: Buffer }).stderr?.toString().trim();
    return { ok: false, reason: `cannot mount a tmpfs (needs root): ${stderr || String(err)}` };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Whether a suite needing a small disk runs: yes where mounting works; where it does not, the
 * suite is skipped on a developer machine but fails (with the reason) under CI=true, so CI never
 * passes without having run it.
 */
export function requireSmallDisk(): boolean {
  const support = smallDiskSupport();
  if (support.ok) return true;
  if (process.env.CI === "true")
    throw new Error(`fault tests need a mountable tmpfs under CI: ${support.reason}`);
  return false;
}

/**
 * Mounts a tmpfs of `sizeBytes` on a fresh directory, readable by root only unless `mode` says
 * otherwise (a PostgreSQL tablespace on it needs 0755, for the server's user to reach it).
 */
export async function mountSmallDisk(sizeBytes: number, mode = "0700"): Promise<SmallDisk> {
  const dir = await mkdtemp(join(tmpdir(), "small-disk-"));
  execFileSync("mount", ["-t", "tmpfs", "-o", `size=${sizeBytes},mode=${mode}`, "tmpfs", dir], {
    stdio: "pipe",
  });
  const filler = join(dir, ".filler");
  return {
    dir,
    async fill() {
      const fh = await open(filler, "a");
      const chunk = Buffer.alloc(16 * 1024);
      try {
        for (;;) await fh.write(chunk);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== "ENOSPC") throw err;
      } finally {
        await fh.close();
      }
      // Fill the last partial block too.
      const tail = await open(filler, "a");
      try {
        for (;;) await tail.write(Buffer.alloc(512));
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== "ENOSPC") throw err;
      } finally {
        await tail.close();
      }
    },
    async free() {
      await unlink(filler).catch((err: NodeJS.ErrnoException) => {
        if (err.code !== "ENOENT") throw err;
      });
    },
    async unmount() {
      execFileSync("umount", ["-l", dir], { stdio: "pipe" });
      await rm(dir, { recursive: true, force: true });
    },
  };
}
