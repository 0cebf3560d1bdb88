import { postgresPool, preparePostgres } from "@session/service-kit";
import type { SQL } from "drizzle-orm";
import type { PgTable } from "drizzle-orm/pg-core";
import { drizzle, type PostgresJsDatabase } from "drizzle-orm/postgres-js";
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

/** A store on a postgres.js pool (see openPgClient), queried through drizzle; close() ends the pool. */
export abstract class PgTables {
  readonly deletesNeedSpace = false;
  protected readonly db: PostgresJsDatabase;

  protected constructor(protected readonly client: postgres.Sql) {
    this.db = drizzle(client);
  }

  /** Deletes the rows of `table` that `where` selects; returns how many went. */
  protected async deleteRows(table: PgTable, where: SQL | undefined): Promise<number> {
    return (await this.db.delete(table).where(where)).count;
  }

  async close() {
    await this.client.end({ timeout: 5 });
  }
}
