import postgres from "postgres";

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
