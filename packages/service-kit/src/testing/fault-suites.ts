import { afterAll, afterEach, beforeAll, describe } from "vitest";
import {
  type PgSmallTablespace,
  pgSmallTablespace,
  requirePgSmallTablespace,
} from "./pg-small-tablespace.ts";
import { mountSmallDisk, requireSmallDisk, type SmallDisk } from "./small-disk.ts";
import { type SuitePg, suiteSchema, TEST_PG_URL } from "./suite-schema.ts";

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
 * created before its first test, freed after each, dropped after the last, and a schema of its
 * own (suiteSchema(`schemaPrefix`)) for the services under test, which the suite moves into the
 * tablespace once their tables exist. The suite's own after-hooks (which stop those services) run
 * first, then the schema is dropped, then the tablespace. Skipped where no local server and root
 * allow it (fails under CI=true).
 */
export async function describeOnPgSmallTablespace(
  title: string,
  { sizeBytes, schemaPrefix }: { sizeBytes: number; schemaPrefix: string },
  suite: (tablespace: () => PgSmallTablespace, pg: SuitePg) => void,
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
    // After the hooks above: after-hooks run as a stack, so the schema is gone before the drop.
    const schema = suiteSchema(schemaPrefix);
    suite(() => ts!, { url: TEST_PG_URL, schema });
  });
}
