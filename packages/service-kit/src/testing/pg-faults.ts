import postgres from "postgres";
import { afterAll } from "vitest";
import { type SuitePg, suiteSchema, TEST_PG_URL } from "./suite-schema.ts";

/** A unique PostgreSQL application_name for one service under test (what pg_stat_activity shows). */
export function testApplicationName(service: string): string {
  return `${service}-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
}

/**
 * Controls a PostgreSQL server from a test: its own connection, which kills the backends of the
 * service under test (found by application_name) as an administrator's pg_terminate_backend or a
 * database restart would, and waits on what those backends are doing.
 */
export function pgFaults(url: string) {
  const admin = postgres(url, {
    max: 2,
    onnotice: () => {},
    connection: { application_name: "fault-injector" },
  });
  return {
    sql: admin,
    /**
     * Terminates every backend of `applicationName` and waits until they have exited (their
     * sockets are closed); returns how many there were.
     */
    async terminate(applicationName: string): Promise<number> {
      const rows = await admin`
        SELECT pid FROM pg_stat_activity
        WHERE application_name = ${applicationName} AND pid <> pg_backend_pid()`;
      const pids = rows.map((r) => r.pid as number);
      if (pids.length === 0) return 0;
      await admin`SELECT pg_terminate_backend(pid) FROM unnest(${pids}::int[]) AS pid`;
      await this.until(async () => {
        const left =
          await admin`SELECT count(*)::int AS n FROM pg_stat_activity WHERE pid = ANY(${pids}::int[])`;
        return Number(left[0]?.n) === 0;
      });
      return pids.length;
    },
    /** How many backends of `applicationName` wait on a lock right now. */
    async waitingOnLock(applicationName: string): Promise<number> {
      const rows = await admin`
        SELECT count(*)::int AS n FROM pg_stat_activity
        WHERE application_name = ${applicationName} AND wait_event_type = 'Lock'`;
      return Number(rows[0]?.n ?? 0);
    },
    /**
     * Runs `lockSql` in a transaction of its own, starts `op`, waits until a backend of
     * `applicationName` waits on that lock, terminates the service's backends, then commits and
     * returns what `op` settles to. With `waitForRetry`, commits only once a retry of the query
     * waits on the lock again, on a new connection.
     */
    async killWhileBlocked<T>(
      applicationName: string,
      lockSql: string,
      op: () => Promise<T>,
      { waitForRetry = false } = {},
    ): Promise<T> {
      const blocked = async () => (await this.waitingOnLock(applicationName)) > 0;
      const lock = await admin.reserve();
      try {
        await lock`BEGIN`;
        await lock.unsafe(lockSql);
        const pending = op();
        // Awaited below; a rejection meanwhile is not an unhandled one.
        pending.catch(() => {});
        await this.until(blocked);
        if ((await this.terminate(applicationName)) === 0) {
          throw new Error(`no backend of ${applicationName} to terminate`);
        }
        if (waitForRetry) await this.until(blocked);
        await lock`COMMIT`;
        return await pending;
      } finally {
        lock.release();
      }
    },
    /** Polls `check` until it is true (a condition, never a fixed sleep); throws after `timeoutMs`. */
    async until(check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
      const deadline = Date.now() + timeoutMs;
      while (!(await check())) {
        if (Date.now() > deadline) throw new Error("condition not reached in time");
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    close: () => admin.end({ timeout: 5 }),
  };
}

export type PgFaults = ReturnType<typeof pgFaults>;

/**
 * What a suite that kills a service's PostgreSQL connections needs: a schema of its own and a
 * unique application_name for the service, and pgFaults on that server, closed after the suite's
 * own after-hooks (which stop the service).
 */
export function pgFaultSuite(
  service: string,
  schemaPrefix: string,
): SuitePg & { applicationName: string; faults: PgFaults } {
  const schema = suiteSchema(schemaPrefix);
  // postgres() connects on first use: nothing is opened for a suite that is filtered out.
  const faults = pgFaults(TEST_PG_URL);
  afterAll(() => faults.close());
  return { url: TEST_PG_URL, schema, applicationName: testApplicationName(service), faults };
}
