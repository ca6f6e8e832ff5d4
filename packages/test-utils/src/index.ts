export {
  type PostgresServer,
  postgresUnavailableReason,
  startPostgresServer,
} from "./postgresServer";
export {
  type RedisCluster,
  redisClusterUnavailableReason,
  startRedisCluster,
} from "./redisCluster";
export {
  freePort,
  type RedisServer,
  redisUnavailableReason,
  startRedisServer,
} from "./redisServer";
