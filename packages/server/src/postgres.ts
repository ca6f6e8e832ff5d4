export { type MigrateOptions, type Migration, migrate, migrations } from "./stores/migrate";
export { type PostgresStore, type PostgresStoreOptions, postgresStore } from "./stores/postgres";
export { StoreUnavailableError } from "./stores/storeUnavailable";
