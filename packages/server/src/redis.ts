export {
  type RedisStore,
  type RedisStoreOptions,
  redisStore,
  StoreUnavailableError,
} from "./stores/redis";
