import { parseRetryAfter } from "@mfa-kit/protocol";
import { MfaOptionError } from "@mfa-kit/protocol/vocabulary";
import type { MfaCrypto } from "../crypto/types";
import type { MfaEvent, MfaEventType } from "../events/types";
import { backoffDelay } from "./backoff";
import { signWebhook, webhookKey } from "./signature";
import type {
  OutboxMessage,
  WebhookDeliveryOptions,
  WebhookEndpoint,
  WebhookOutbox,
  WebhookTransport,
} from "./types";

/** The default and the longest retry window (the seed's 15 minutes and 4 hours). */
export const RETRY_WINDOW_MS = 900_000;
export const MAX_RETRY_WINDOW_MS = 4 * 3_600_000;
/** Streams' messages handed out per outbox read. */
const BATCH = 100;

/** Delivers the kit's events to the `webhooks` endpoints through an outbox. */
export interface WebhookDispatcher {
  /** Writes `event` to the outbox for every endpoint that wants it; resolves once written. */
  enqueue(event: MfaEvent): Promise<void>;
  /** Delivers what is due now, stream by stream, until nothing due is left; resolves with the number of tries. */
  deliver(): Promise<number>;
  /** Resolves once no outbox write and no delivery round is in progress. */
  idle(): Promise<void>;
  /** Stops polling (in-flight tries finish). */
  close(): void;
}

interface Endpoint {
  url: string;
  key: Uint8Array;
  events: Set<MfaEventType> | null;
  retryWindowMs: number;
  /** A short stable name of the endpoint in stream names: the outbox never holds URLs or secrets. */
  ref: string;
}

/** Checks the `webhooks` option; throws an `MfaOptionError` naming a bad entry. */
export function resolveEndpoints(
  endpoints: WebhookEndpoint[],
  crypto: Pick<MfaCrypto, "sha256">,
): Endpoint[] {
  if (!Array.isArray(endpoints))
    throw new MfaOptionError("webhooks", "webhooks must be an array of endpoints.");
  return endpoints.map((e, i) => {
    const name = `webhooks[${i}]`;
    let url: URL;
    try {
      url = new URL(e?.url);
    } catch {
      throw new MfaOptionError(
        `${name}.url`,
        `${name}.url must be an absolute URL, got ${String(e?.url)}.`,
      );
    }
    if (url.protocol !== "https:" && !(url.protocol === "http:" && isLoopback(url.hostname))) {
      throw new MfaOptionError(
        `${name}.url`,
        `${name}.url must be https: (http: only for localhost), got ${url.href}.`,
      );
    }
    const retryWindowMs = e.retryWindowMs ?? RETRY_WINDOW_MS;
    if (
      typeof retryWindowMs !== "number" ||
      !(retryWindowMs >= 0) ||
      retryWindowMs > MAX_RETRY_WINDOW_MS
    ) {
      throw new MfaOptionError(
        `${name}.retryWindowMs`,
        `${name}.retryWindowMs must be between 0 and 4 hours (14 400 000).`,
      );
    }
    if (e.events !== undefined && !Array.isArray(e.events)) {
      throw new MfaOptionError(`${name}.events`, `${name}.events must be a list of event types.`);
    }
    return {
      url: url.href,
      key: webhookKey(e.secret, `${name}.secret`),
      events: e.events ? new Set(e.events) : null,
      retryWindowMs,
      ref: crypto.sha256(url.href).slice(0, 16),
    };
  });
}

/** Whether `hostname` is this machine (`localhost`, 127.0.0.0/8, `::1`). */
export const isLoopback = (hostname: string) =>
  hostname === "localhost" ||
  hostname.endsWith(".localhost") ||
  /^127\.\d+\.\d+\.\d+$/.test(hostname) ||
  hostname === "[::1]";

/** The body of one event's webhook: the Standard Webhooks envelope. */
const webhookPayload = (event: MfaEvent) =>
  JSON.stringify({ type: event.type, timestamp: new Date(event.at).toISOString(), data: event });

export interface DispatcherSettings extends Required<Omit<WebhookDeliveryOptions, "transport">> {
  endpoints: Endpoint[];
  outbox: WebhookOutbox;
  transport: WebhookTransport;
  crypto: Pick<MfaCrypto, "hmac">;
  now: () => number;
}

/**
 * The delivery loop. Each event becomes one outbox message per endpoint that wants it, in the
 * stream of (endpoint, user): a stream's messages go out one at a time, in order, so a user's
 * events arrive in the order they happened even across an outage. A try signs the message again
 * (same `webhook-id`, fresh `webhook-timestamp`); a 2xx removes it; anything else (a status, a
 * network error, the timeout) reschedules it with full-jitter exponential backoff, or after the
 * response's `Retry-After`, until its retry window ends. The outbox is read at once after an event
 * and every `pollMs` (retries that came due, messages an instance left behind when it stopped).
 */
export function createWebhookDispatcher(s: DispatcherSettings): WebhookDispatcher {
  const byRef = new Map(s.endpoints.map((e) => [e.ref, e]));
  const leaseMs = s.timeoutMs + 20_000;
  const writes = new Set<Promise<void>>();
  /** Messages the outbox refused to take (store down): added again on the next round. */
  let unsaved: OutboxMessage[] = [];
  let round: Promise<number> | null = null;
  let again = false;
  let closed = false;

  const report = (error: unknown, m?: OutboxMessage, url?: string) => {
    try {
      s.onError(
        error,
        m && { id: m.id, url: url ?? "", type: JSON.parse(m.payload).type as string },
      );
    } catch {
      // A reporter that throws has nowhere left to report to.
    }
  };

  const tryOne = async (m: OutboxMessage): Promise<void> => {
    const endpoint = byRef.get(m.stream.slice(0, m.stream.indexOf(":")));
    if (!endpoint) {
      // An endpoint no longer configured here (another instance may still have it): left alone
      // until the longest window has passed.
      if (s.now() - m.createdAt > MAX_RETRY_WINDOW_MS) {
        await s.outbox.outboxDone(m.stream, m.id, s.now());
      }
      return;
    }
    const sentAt = s.now();
    const timestamp = Math.floor(sentAt / 1000);
    let status = 0;
    let retryAfterMs: number | null = null;
    let failure: unknown;
    try {
      const response = await s.transport({
        url: endpoint.url,
        method: "POST",
        headers: {
          "content-type": "application/json",
          "user-agent": "mfa-kit-webhooks",
          "webhook-id": m.id,
          "webhook-timestamp": String(timestamp),
          "webhook-signature": signWebhook(s.crypto, endpoint.key, m.id, timestamp, m.payload),
        },
        body: m.payload,
        timeoutMs: s.timeoutMs,
      });
      status = response.status;
      retryAfterMs = parseRetryAfter(response.headers.get("retry-after"), s.now());
    } catch (error) {
      failure = error;
    }
    const now = s.now();
    if (status >= 200 && status < 300) {
      await s.outbox.outboxDone(m.stream, m.id, now);
      return;
    }
    const attempts = m.attempts + 1;
    const deadline = m.createdAt + endpoint.retryWindowMs;
    let dueAt =
      now + (retryAfterMs ?? backoffDelay(attempts, s.backoffBaseMs, s.backoffMaxMs, s.random));
    // The last try goes at the end of the window, unless the receiver asked to wait past it.
    if (dueAt > deadline && retryAfterMs === null && now < deadline) dueAt = deadline;
    if (dueAt > deadline) {
      await s.outbox.outboxDone(m.stream, m.id, now);
      const why = failure ?? new Error(`HTTP ${status}`);
      report(
        new Error(
          `webhook ${m.id} to ${endpoint.url} given up after ${attempts} tries: ${
            why instanceof Error ? why.message : String(why)
          }`,
          { cause: why },
        ),
        m,
        endpoint.url,
      );
      return;
    }
    await s.outbox.outboxRetry(m.stream, m.id, attempts, dueAt, now);
  };

  const runRound = async (): Promise<number> => {
    let tries = 0;
    if (unsaved.length > 0) {
      const batch = unsaved;
      unsaved = [];
      try {
        await s.outbox.outboxAdd(batch, s.now());
      } catch (error) {
        unsaved = batch.concat(unsaved);
        report(error);
      }
    }
    for (;;) {
      let claimed: OutboxMessage[];
      try {
        claimed = await s.outbox.outboxClaim(BATCH, leaseMs, s.now());
      } catch (error) {
        report(error);
        return tries;
      }
      if (claimed.length === 0) return tries;
      tries += claimed.length;
      await Promise.all(
        claimed.map((m) =>
          tryOne(m).catch((error: unknown) => {
            // The outbox failed to record the outcome: the lease runs out and the message is
            // tried again (at least once).
            report(error, m);
          }),
        ),
      );
    }
  };

  const deliver = (): Promise<number> => {
    if (round) {
      again = true;
      return round;
    }
    round = (async () => {
      let total = 0;
      do {
        again = false;
        total += await runRound();
      } while (again && !closed);
      return total;
    })().finally(() => {
      round = null;
    });
    return round;
  };

  const timer = setInterval(() => {
    if (!closed) void deliver();
  }, s.pollMs);
  (timer as { unref?: () => void }).unref?.();

  return {
    enqueue(event) {
      const messages: OutboxMessage[] = [];
      const payload = webhookPayload(event);
      for (const e of s.endpoints) {
        if (e.events && !e.events.has(event.type)) continue;
        messages.push({
          id: event.id,
          stream: `${e.ref}:${event.userId}`,
          payload,
          attempts: 0,
          createdAt: event.at,
          dueAt: event.at,
        });
      }
      if (messages.length === 0) return Promise.resolve();
      if (unsaved.length > 0) {
        // Earlier messages wait to be written: these go after them, in order.
        unsaved.push(...messages);
        return Promise.resolve();
      }
      const write = s.outbox.outboxAdd(messages, s.now()).then(
        () => {
          if (!closed) void deliver();
        },
        (error: unknown) => {
          unsaved.push(...messages);
          report(error);
        },
      );
      writes.add(write);
      void write.finally(() => writes.delete(write));
      return write;
    },
    deliver,
    async idle() {
      while (writes.size > 0 || round) {
        await Promise.all([...writes]);
        if (round) await round;
      }
    },
    close() {
      closed = true;
      clearInterval(timer);
    },
  };
}
