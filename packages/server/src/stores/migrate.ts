import type { Pool, PoolClient } from "pg";
import initial from "./migrations/0001_initial.sql?raw";
import lifecycle from "./migrations/0002_lifecycle.sql?raw";
import outbox from "./migrations/0003_outbox.sql?raw";
import { schemaIdentifier } from "./postgres";
import { StoreUnavailableError } from "./storeUnavailable";

/** One shipped migration: its name (the order they apply in) and its SQL. */
export interface Migration {
  /** `0001_initial`, ...: applied in this order, each once, recorded under this name. */
  readonly name: string;
  /**
   * Plain SQL with unqualified names: run it with `search_path` set to the store's schema (and
   * `pg_temp` after it), as {@link migrate} does, when your own migration tool applies it.
   */
  readonly sql: string;
}

/**
 * The SQL migrations of {@link postgresStore}, in order. The same files ship as plain `.sql` in the
 * package (`@mfa-kit/server/dist/migrations/*.sql`) for teams that run their own migration tool.
 */
export const migrations: readonly Migration[] = Object.freeze([
  Object.freeze({ name: "0001_initial", sql: initial }),
  Object.freeze({ name: "0002_lifecycle", sql: lifecycle }),
  Object.freeze({ name: "0003_outbox", sql: outbox }),
]);

/** Options of {@link migrate}. */
export interface MigrateOptions {
  /** The schema to create the tables in (created when missing). Defaults to `"mfa"`. */
  schema?: string;
}

/**
 * Brings the store's schema up to date: creates it when missing, then applies, in order and in one
 * transaction, each shipped migration not yet recorded in `<schema>.schema_migrations`. Idempotent
 * and safe to run from several instances at once (they wait for each other on a transaction-level
 * advisory lock, which works behind PgBouncer in transaction mode). Refuses a schema that records a
 * migration this version does not ship (a newer kit migrated it). Returns the names it applied.
 *
 * @example
 * await migrate(pool, { schema: "mfa" }); // → ["0001_initial"] the first time, [] after
 */
export async function migrate(pool: Pool, options: MigrateOptions = {}): Promise<string[]> {
  const schema = options.schema ?? "mfa";
  const s = schemaIdentifier(schema, "migrate");
  let client: PoolClient;
  try {
    client = await pool.connect();
  } catch (error) {
    throw new StoreUnavailableError(
      `PostgreSQL is unavailable: ${error instanceof Error ? error.message : String(error)}`,
      { cause: error },
    );
  }
  let failed: unknown;
  try {
    await client.query("BEGIN");
    await client.query("SELECT pg_advisory_xact_lock(hashtext($1))", [`mfa-kit:migrate:${schema}`]);
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${s}`);
    await client.query(
      `CREATE TABLE IF NOT EXISTS ${s}.schema_migrations (
         name text PRIMARY KEY,
         applied_at timestamptz NOT NULL DEFAULT now()
       )`,
    );
    const { rows } = await client.query<{ name: string }>(
      `SELECT name FROM ${s}.schema_migrations ORDER BY name`,
    );
    const done = new Set(rows.map((row) => row.name));
    const known = new Set(migrations.map((m) => m.name));
    const unknown = [...done].filter((name) => !known.has(name));
    if (unknown.length > 0) {
      throw new Error(
        `migrate: schema ${schema} records migrations this version does not ship (${unknown.join(", ")}): it was migrated by a newer version`,
      );
    }
    const applied: string[] = [];
    for (const migration of migrations) {
      if (done.has(migration.name)) continue;
      await client.query(`SET LOCAL search_path TO ${s}, pg_temp`);
      // Plain SQL, several statements: the simple query protocol runs them inside this transaction.
      await client.query(migration.sql);
      await client.query(`INSERT INTO ${s}.schema_migrations (name) VALUES ($1)`, [migration.name]);
      applied.push(migration.name);
    }
    await client.query("COMMIT");
    return applied;
  } catch (error) {
    failed = error;
    await client.query("ROLLBACK").catch(() => {});
    throw error;
  } finally {
    client.release(failed instanceof Error ? failed : undefined);
  }
}
