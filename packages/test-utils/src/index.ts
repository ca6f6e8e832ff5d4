export {
  type PostgresServer,
  postgresUnavailableReason,
  startPostgresServer,
} from "./postgresServer";
export {
  freePort,
  type RedisServer,
  redisUnavailableReason,
  startRedisServer,
} from "./redisServer";
