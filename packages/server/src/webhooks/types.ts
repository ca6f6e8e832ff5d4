import type { MfaEventType } from "../events/types";

/** One receiver of signed webhooks (the `webhooks` option of `createMfaServer`). */
export interface WebhookEndpoint {
  /** Where events are POSTed: an `https:` URL (`http:` only for localhost). Required. */
  url: string;
  /** The endpoint's signing secret, `whsec_` then base64 of 24 to 64 random bytes (see `createWebhookSecret`). Required. */
  secret: string;
  /** The event types this endpoint receives. Defaults to every event. */
  events?: MfaEventType[];
  /** How long after an event its delivery is retried before it is given up (at most 4 hours). Defaults to `900_000` (15 minutes). */
  retryWindowMs?: number;
}

/** One HTTP request of a webhook delivery, as a {@link WebhookTransport} sends it. */
export interface WebhookRequest {
  url: string;
  method: "POST";
  /** `content-type`, `webhook-id`, `webhook-timestamp`, `webhook-signature`, `user-agent`. */
  headers: Record<string, string>;
  body: string;
  /** Give up on the request after this long (the kit's 10 s). */
  timeoutMs: number;
}

/** What a {@link WebhookTransport} reports of a response: its status and its headers. */
export interface WebhookResponse {
  status: number;
  headers: { get(name: string): string | null };
}

/**
 * Sends one webhook request. Rejects (or throws) on a network failure or a timeout; any HTTP status
 * resolves. The default uses `fetch`; under the `node` export condition it is `nodeWebhookTransport`
 * (keep-alive pooled `node:http` agents).
 */
export type WebhookTransport = (request: WebhookRequest) => Promise<WebhookResponse>;

/** Webhook delivery settings shared by every endpoint. */
export interface WebhookDeliveryOptions {
  /** Sends the requests. Defaults to `fetch`, or pooled `node:http(s)` agents under the `node` condition. */
  transport?: WebhookTransport;
  /** Timeout of one delivery request. Defaults to `10_000`. */
  timeoutMs?: number;
  /** How often the outbox is polled for deliveries that are due (retries, another instance's leftovers). Defaults to `1_000`. */
  pollMs?: number;
  /** The first retry waits up to this long; each further one doubles it (full jitter). Defaults to `1_000`. */
  backoffBaseMs?: number;
  /** No wait between two tries exceeds this. Defaults to `300_000` (5 minutes). */
  backoffMaxMs?: number;
  /** Told when a delivery failed for good (its retry window ran out) or the outbox failed. Defaults to `console.error` of a short line. */
  onError?: (error: unknown, message?: { id: string; url: string; type: string }) => void;
  /** The random source of the jitter, in [0, 1). Defaults to `Math.random`. */
  random?: () => number;
}

/** One delivery waiting in the outbox: a signed-on-send message for one endpoint. */
export interface OutboxMessage {
  /** The `webhook-id`: the event's id, the same on every try. */
  id: string;
  /** Which endpoint (its index in `webhooks`, as a string) and user: messages of one stream go out in order. */
  stream: string;
  /** The JSON body (signed again, with a fresh timestamp, on every try). */
  payload: string;
  /** Tries made so far. */
  attempts: number;
  /** When the event happened (epoch ms): the retry window counts from here. */
  createdAt: number;
  /** Not tried before this (epoch ms). */
  dueAt: number;
}

/**
 * Where deliveries wait until a receiver acknowledged them. Messages of one `stream` are delivered
 * in the order they were added: only the oldest message of a stream is ever handed out.
 */
export interface WebhookOutbox {
  /** Appends `messages`, each at the end of its stream. */
  outboxAdd(messages: OutboxMessage[], now: number): Promise<void>;
  /**
   * Up to `limit` streams' oldest messages that are due, each leased for `leaseMs` (not handed out
   * again before that, so an instance that crashed mid-delivery only delays it).
   */
  outboxClaim(limit: number, leaseMs: number, now: number): Promise<OutboxMessage[]>;
  /** Removes the oldest message of `stream` when its id is `id` (delivered, or given up). */
  outboxDone(stream: string, id: string, now: number): Promise<void>;
  /** Reschedules the oldest message of `stream` (when its id is `id`) after a failed try. */
  outboxRetry(
    stream: string,
    id: string,
    attempts: number,
    dueAt: number,
    now: number,
  ): Promise<void>;
}
