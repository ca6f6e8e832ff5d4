import { MfaOptionError } from "@mfa-kit/protocol/vocabulary";
import type { MfaCrypto } from "../crypto/types";
import type { EventBus } from "../events/eventBus";
import type { MfaStore } from "../stores/types";
import { defaultWebhookTransport } from "./defaultTransport";
import { createWebhookDispatcher, resolveEndpoints, type WebhookDispatcher } from "./dispatcher";
import { memoryOutbox } from "./memoryOutbox";
import type { WebhookDeliveryOptions, WebhookEndpoint, WebhookOutbox } from "./types";

/** The outbox a store offers, when it implements the outbox methods. */
const storeOutbox = (store: MfaStore): WebhookOutbox | null => {
  const s = store as Partial<WebhookOutbox>;
  return typeof s.outboxAdd === "function" &&
    typeof s.outboxClaim === "function" &&
    typeof s.outboxDone === "function" &&
    typeof s.outboxRetry === "function"
    ? (s as WebhookOutbox)
    : null;
};

const positive = (name: string, value: number | undefined, fallback: number) => {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !Number.isFinite(value) || value <= 0) {
    throw new MfaOptionError(
      `webhookDelivery.${name}`,
      `webhookDelivery.${name} must be a positive number, got ${String(value)}.`,
    );
  }
  return value;
};

const defaultOnError = (error: unknown) => {
  console.error(`[mfa-kit] webhook: ${error instanceof Error ? error.message : String(error)}`);
};

/**
 * The dispatcher of the `webhooks` option, `null` without endpoints. The outbox is the store's
 * (so a restart or a crash loses nothing and every instance helps deliver); a store without the
 * outbox methods gets one in process memory.
 */
export function createWebhooks(
  endpoints: WebhookEndpoint[] | undefined,
  options: WebhookDeliveryOptions = {},
  deps: { store: MfaStore; crypto: MfaCrypto; now: () => number },
): WebhookDispatcher | null {
  if (endpoints === undefined) return null;
  const resolved = resolveEndpoints(endpoints, deps.crypto);
  if (resolved.length === 0) return null;
  const timeoutMs = positive("timeoutMs", options.timeoutMs, 10_000);
  if (timeoutMs > 30_000)
    throw new MfaOptionError(
      "webhookDelivery.timeoutMs",
      "webhookDelivery.timeoutMs must be at most 30 000.",
    );
  return createWebhookDispatcher({
    endpoints: resolved,
    outbox: storeOutbox(deps.store) ?? memoryOutbox(),
    transport: options.transport ?? defaultWebhookTransport,
    crypto: deps.crypto,
    now: deps.now,
    timeoutMs,
    pollMs: positive("pollMs", options.pollMs, 1_000),
    backoffBaseMs: positive("backoffBaseMs", options.backoffBaseMs, 1_000),
    backoffMaxMs: positive("backoffMaxMs", options.backoffMaxMs, 300_000),
    onError: options.onError ?? defaultOnError,
    random: options.random ?? Math.random,
  });
}

/**
 * The event bus with webhooks: each event is written to the outbox at once (before anything is
 * delivered, so a crash after it loses nothing) and handed to the `onEvent` listener as before.
 * `flush` also waits for the outbox writes.
 */
export function withWebhooks(bus: EventBus, webhooks: WebhookDispatcher | null): EventBus {
  if (!webhooks) return bus;
  return {
    enabled: true,
    emit(event) {
      void webhooks.enqueue(event);
      bus.emit(event);
    },
    async flush() {
      await bus.flush();
      await webhooks.idle();
    },
  };
}
