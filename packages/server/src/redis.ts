export {
  type RedisStore,
  type RedisStoreOptions,
  redisStore,
  StoreUnavailableError,
} from "./stores/redis";
export { migrateRedisStore, type RedisMigration } from "./stores/redisMigrate";
