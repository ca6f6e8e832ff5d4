export {
  freePort,
  type RedisServer,
  redisUnavailableReason,
  startRedisServer,
} from "./redisServer";
