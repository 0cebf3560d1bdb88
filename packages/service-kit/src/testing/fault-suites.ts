import { afterAll, afterEach, beforeAll, describe } from "vitest";
import {
  type PgSmallTablespace,
  pgSmallTablespace,
  requirePgSmallTablespace,
} from "./pg-small-tablespace.ts";
import { mountSmallDisk, requireSmallDisk, type SmallDisk } from "./small-disk.ts";

/** The PostgreSQL server tests use: TEST_DATABASE_URL, or the local one CI starts. */
export const TEST_PG_URL = process.env.TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";

/**
 * A suite on a fresh tmpfs of `sizeBytes`: mounted before its first test (not at import, so a
 * run that filters the suite out leaves no mount behind), emptied after each test, unmounted
 * after the last. Skipped without root or mount (fails under CI=true, as requireSmallDisk).
 * The suite's own after-hooks run before these (vitest runs them as a stack).
 */
export function describeOnSmallDisk(
  title: string,
  sizeBytes: number,
  suite: (disk: () => SmallDisk) => void,
) {
  describe.skipIf(!requireSmallDisk())(title, () => {
    let disk: SmallDisk | undefined;
    beforeAll(async () => {
      disk = await mountSmallDisk(sizeBytes);
    });
    afterEach(async () => {
      await disk?.free();
    });
    afterAll(async () => {
      await disk?.unmount();
    });
    suite(() => disk!);
  });
}

/**
 * A suite with a PostgreSQL tablespace on a tmpfs of `sizeBytes` (see pgSmallTablespace),
 * created before its first test, freed after each, dropped after the last (the suite's own
 * after-hooks, which drop what it put there, run first). Skipped where no local server and root
 * allow it (fails under CI=true).
 */
export async function describeOnPgSmallTablespace(
  title: string,
  sizeBytes: number,
  suite: (tablespace: () => PgSmallTablespace) => void,
): Promise<void> {
  describe.skipIf(!(await requirePgSmallTablespace(TEST_PG_URL)))(title, () => {
    let ts: PgSmallTablespace | undefined;
    beforeAll(async () => {
      ts = await pgSmallTablespace(TEST_PG_URL, sizeBytes);
    });
    afterEach(async () => {
      await ts?.free();
    });
    afterAll(async () => {
      await ts?.free();
      await ts?.drop();
    }, 20_000);
    suite(() => ts!);
  });
}
