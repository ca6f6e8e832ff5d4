import type { OutboxMessage, WebhookOutbox } from "./types";

interface Stream {
  messages: OutboxMessage[];
  /** The head is not handed out again before this (a claim's lease). */
  leasedUntil: number;
}

/**
 * The outbox in process memory: what the memory store uses. Deliveries survive a receiver's outage
 * but not a restart of this process (use a shared store for that).
 */
export function memoryOutbox(): WebhookOutbox & { size(): number; clear(): void } {
  const streams = new Map<string, Stream>();
  const head = (stream: string, id: string) => {
    const s = streams.get(stream);
    return s && s.messages[0]?.id === id ? s : undefined;
  };
  return {
    async outboxAdd(messages) {
      for (const m of messages) {
        const s = streams.get(m.stream);
        if (s) s.messages.push({ ...m });
        else streams.set(m.stream, { messages: [{ ...m }], leasedUntil: 0 });
      }
    },
    async outboxClaim(limit, leaseMs, now) {
      const out: OutboxMessage[] = [];
      for (const s of streams.values()) {
        if (out.length >= limit) break;
        const first = s.messages[0]!;
        if (first.dueAt > now || s.leasedUntil > now) continue;
        s.leasedUntil = now + leaseMs;
        out.push({ ...first });
      }
      return out;
    },
    async outboxDone(stream, id) {
      const s = head(stream, id);
      if (!s) return;
      s.messages.shift();
      s.leasedUntil = 0;
      if (s.messages.length === 0) streams.delete(stream);
    },
    async outboxRetry(stream, id, attempts, dueAt) {
      const s = head(stream, id);
      if (!s) return;
      s.messages[0] = { ...s.messages[0]!, attempts, dueAt };
      s.leasedUntil = 0;
    },
    clear: () => streams.clear(),
    size: () => {
      let n = 0;
      for (const s of streams.values()) n += s.messages.length;
      return n;
    },
  };
}
