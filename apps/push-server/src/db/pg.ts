import { postgresPool, preparePostgres } from "@session/service-kit";
import type postgres from "postgres";

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
  const client = postgresPool(url, { max, applicationName, ...(schema ? { schema } : {}) });
  await preparePostgres(client, { schema, ddl });
  return client;
}
