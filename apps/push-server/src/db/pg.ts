import postgres from "postgres";

/**
 * A postgres.js pool whose connections use `schema` (created if missing) when one is given — a
 * test run's own schema — with `ddl` run once, in order, before it is handed out.
 */
export async function openPgClient(
  url: string,
  schema: string | undefined,
  ddl: readonly string[],
  max: number,
  applicationName = "session-push-server",
): Promise<postgres.Sql> {
  // A connection that dies (server restart, pg_terminate_backend) fails the queries on it; the
  // pool opens a new one for the next query.
  const client = postgres(url, {
    max,
    onnotice: () => {},
    connection: { application_name: applicationName, ...(schema ? { search_path: schema } : {}) },
  });
  if (schema) await client.unsafe(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
  for (const stmt of ddl) await client.unsafe(stmt);
  return client;
}
