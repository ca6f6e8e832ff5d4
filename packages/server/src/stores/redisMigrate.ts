import type { Redis } from "ioredis";
import { redisUserKey } from "./redis";

/** What {@link migrateRedisStore} did. */
export interface RedisMigration {
  /** Keys moved to the current layout. */
  moved: number;
  /** Keys left where they were because the current layout already held the same key. */
  kept: number;
}

/** The pieces of a user's state the store keeps, as the earlier layout named them. */
const USER_STATE =
  /^(?:factors|rev|backup|lock|failures|(?:code|challenge|marker|throttle|throttle-seq):.*)$/s;

const globEscape = (text: string) => text.replace(/[*?[\]\\]/g, "\\$&");
const regexEscape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/**
 * Moves the keys a `redisStore` of an earlier release wrote (`<prefix>{<userId>}:factors`, …) to
 * the current layout (`<prefix>{<tag>}:u:<userId>:factors`, …), TTLs included, so users keep their
 * factors, backup codes, lock state and markers. Run it once on the standalone Redis (or
 * Sentinel-managed primary) after the last instance of the earlier release stopped and before the
 * first of this one starts; a second run moves nothing. Sessions are not moved: their tokens carry
 * no tag, so they end (users verify again once) and their keys expire by themselves.
 *
 * Every key is one `RENAMENX`: a key the current layout already holds is kept as it is.
 */
export async function migrateRedisStore(
  client: Redis,
  options: { prefix?: string } = {},
): Promise<RedisMigration> {
  if (client.isCluster) {
    throw new TypeError("migrateRedisStore: run it on the standalone Redis, before any cluster");
  }
  const prefix = options.prefix ?? "mfa:";
  // SCAN answers whole key names; every other command gets ioredis' keyPrefix put in front.
  const keyPrefix = client.options.keyPrefix ?? "";
  const earlier = new RegExp(`^${regexEscape(`${keyPrefix}${prefix}`)}\\{([^{}]*)\\}:(.+)$`, "s");
  const result: RedisMigration = { moved: 0, kept: 0 };
  let cursor = "0";
  do {
    const [next, keys] = await client.scan(
      cursor,
      "MATCH",
      `${globEscape(`${keyPrefix}${prefix}`)}{*`,
      "COUNT",
      1000,
    );
    cursor = next;
    for (const key of keys) {
      const match = earlier.exec(key);
      if (!match || !USER_STATE.test(match[2]!)) continue;
      let userId: string;
      try {
        userId = decodeURIComponent(match[1]!);
      } catch {
        continue;
      }
      const from = key.slice(keyPrefix.length);
      const to = redisUserKey(prefix, userId, match[2]!);
      if (from === to) continue;
      if ((await client.renamenx(from, to)) === 1) result.moved++;
      else result.kept++;
    }
  } while (cursor !== "0");
  return result;
}
