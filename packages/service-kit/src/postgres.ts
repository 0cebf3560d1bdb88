import postgres from "postgres";

interface PostgresPoolOptions {
  /** Connections in the pool. */
  max: number;
  /** Shown in pg_stat_activity: tells a service's sessions apart (operators, fault tests). */
  applicationName: string;
  /** Search path of every connection (a test run's own schema); created by `preparePostgres`. */
  schema?: string;
}

/**
 * The one way our services open a PostgreSQL pool. A connection that dies (server restart,
 * pg_terminate_backend) fails the queries on it and the pool opens a new one for the next query.
 *
 * `fetch_types` is off: postgres.js otherwise runs a type query on every new connection whose
 * failure (the backend terminated while it runs) is a promise nobody awaits — an unhandled
 * rejection that can take a process down. None of our schemas uses array types, the only thing
 * that query is for.
 */
export function postgresPool(url: string, options: PostgresPoolOptions): postgres.Sql {
  return postgres(url, {
    max: options.max,
    fetch_types: false,
    onnotice: () => {},
    connection: {
      application_name: options.applicationName,
      ...(options.schema ? { search_path: options.schema } : {}),
    },
  });
}

/**
 * Creates `schema` when given, then runs `ddl` in order. On failure the pool is closed and the
 * error rethrown, so a service that cannot prepare its database starts nothing.
 */
export async function preparePostgres(
  client: postgres.Sql,
  options: { schema?: string | undefined; ddl?: readonly string[] } = {},
): Promise<void> {
  try {
    if (options.schema) await client.unsafe(`CREATE SCHEMA IF NOT EXISTS "${options.schema}"`);
    for (const stmt of options.ddl ?? []) await client.unsafe(stmt);
  } catch (err) {
    await client.end({ timeout: 1 });
    throw err;
  }
}
