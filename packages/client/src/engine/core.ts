import type { TabCoordinator } from "../tabs/tabCoordinator";
import type { Clock } from "./clock";
import type { Coordinator } from "./coordinator";
import type { MfaEvent } from "./events";
import type { ResolvedOptions } from "./options";
import type { Store } from "./store";
import type { MfaSnapshot, WireResponse } from "./types";

/** What every part of the engine shares: made once by `createEngine`, handed to each part. */
export interface EngineCore {
  o: ResolvedOptions;
  store_: Store<MfaSnapshot>;
  clock: Clock;
  /** Who runs shared work (a refresh, a prompt): this client alone, or every tab of the origin. */
  coordinator_: Coordinator;
  /** The origin's other tabs, once loaded (`session.storage: "localStorage"`); `null` when off. */
  tabs_(): Promise<TabCoordinator | null>;
  /** Tells `onEvent`; a throwing listener is ignored. */
  emit<T extends MfaEvent["type"]>(
    type: T,
    fields?: Omit<Extract<MfaEvent, { type: T }>, "type">,
  ): void;
  /** Counts a refresh in (+1) or out (-1), and publishes the status and the pending challenge. */
  publish_(delta?: number): void;
  /** One of the engine's own requests (or an `mfa.api` call), through `mfa.fetch`, JSON both ways. */
  call(
    url: string,
    method?: string,
    body?: unknown,
    signal?: AbortSignal,
    internal?: boolean,
  ): Promise<WireResponse>;
}
