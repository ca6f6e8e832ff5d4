import type { BoundedMap } from "./boundedMap";
import type { MfaCrypto } from "./crypto/types";
import type { EventBus } from "./events/eventBus";
import type { EventContext, MfaEvent, VerifyContext } from "./events/types";
import type { ResolvedOptions } from "./options";
import type { KeyRing } from "./secrets/keyRing";
import type { MfaStore, UserFactors } from "./stores/types";

/** What every part of the kit works with: one per `createMfaServer`. */
export interface KitContext {
  store: MfaStore;
  crypto: MfaCrypto;
  keys: KeyRing;
  options: ResolvedOptions;
  now: () => number;
  events: EventBus;
  /** A random id for factors, challenges, events: base64url of `bytes` random bytes. */
  randomId(bytes?: number): string;
  /** Opened factor secrets by sealed value (see `factorSecret`): process memory only, bounded. */
  secrets: BoundedMap<string, { context: string; key: Uint8Array }>;
  /** A cheap id unique across instances (random per-process prefix and a counter): not secret. */
  uniqueId(): string;
  /** Users' factor snapshots (see `factorCache.ts`): sealed records, process memory only, bounded. */
  factors: BoundedMap<string, { value: UserFactors; until: number }>;
  /** Users with a verification in progress here, and who waits next (see `serialize` in `limits/attemptQueue.ts`). */
  queues: Map<string, (() => void)[]>;
  /** Lock deadlines the store reported, by user (see `knownLock` in `limits/attemptQueue.ts`): bounded. */
  locks: BoundedMap<string, number>;
  /** Live sessions' token hashes by token (see `sessions.tokenHashCache`): process memory only, bounded. */
  tokenHashes: BoundedMap<string, string>;
  /** Whether `clock.suspect` was emitted (once per instance). */
  clockSuspected: boolean;
  /**
   * The median offset of the `clockCheck` sources' clocks from this one (ms, positive: this one is
   * behind), `null` without a reading (see `clock/clockCheck.ts`).
   */
  clockOffsetMs: number | null;
}

/** Distributes over the event union, so each member keeps its own fields. */
type WithoutIds<E> = E extends MfaEvent ? Omit<E, "id" | "at"> : never;

/** Emits an event with a fresh id and the current time. */
export function emit(ctx: KitContext, event: WithoutIds<MfaEvent>): void {
  if (!ctx.events.enabled) return;
  ctx.events.emit({ ...event, id: ctx.uniqueId(), at: ctx.now() } as MfaEvent);
}

/** The verification context as events carry it: the device id left out, strings only. */
export function eventContext(context: VerifyContext | undefined): EventContext {
  const out: EventContext = {};
  if (typeof context?.ip === "string") out.ip = context.ip.slice(0, 128);
  if (typeof context?.country === "string") out.country = context.country.slice(0, 8);
  if (typeof context?.userAgent === "string") out.userAgent = context.userAgent.slice(0, 512);
  return out;
}
