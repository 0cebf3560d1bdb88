import postgres from "postgres";
import { afterAll } from "vitest";

/** The PostgreSQL server tests use: TEST_DATABASE_URL, or the local one CI starts. */
export const TEST_PG_URL = process.env.TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";

/**
 * A PostgreSQL schema of the suite's own on the test server, `<prefix>_<pid>_<ms>`, for the
 * services under test to keep their tables in; dropped with all in it after the suite. Call it
 * before the suite's own after-hooks (which stop those services): vitest runs after-hooks as a
 * stack, so the drop comes after them.
 */
export function suiteSchema(prefix: string): string {
  const schema = `${prefix}_${process.pid}_${Date.now()}`;
  afterAll(async () => {
    const admin = postgres(TEST_PG_URL, { onnotice: () => {}, max: 1 });
    try {
      await admin.unsafe(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    } finally {
      await admin.end();
    }
  }, 20_000);
  return schema;
}

/** Where a suite's services keep their tables: a schema of the suite's own on the test server. */
export interface SuitePg {
  url: string;
  schema: string;
}
