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
): Promise<postgres.Sql> {
  const client = postgres(url, {
    max,
    onnotice: () => {},
    ...(schema ? { connection: { search_path: schema } } : {}),
  });
  if (schema) await client.unsafe(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
  for (const stmt of ddl) await client.unsafe(stmt);
  return client;
}
