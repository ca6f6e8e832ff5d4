/** A money transfer as the API answers it. */
export interface Transfer {
  id: string;
  to: string;
  /** Major units (euros), at most two decimals. */
  amount: number;
  currency: "EUR";
  memo?: string;
  /** Epoch milliseconds on the server's clock. */
  createdAt: number;
}

/** A validated transfer order. */
export interface TransferOrder {
  to: string;
  amount: number;
  memo?: string;
}

/** The largest amount of one transfer. */
const MAX_TRANSFER_AMOUNT = 10_000;
/** Every account opens with this balance. */
export const OPENING_BALANCE = 2_500;

/** A transfer order read from a request body, or why it is not one. */
export function readTransferOrder(
  body: Record<string, unknown>,
): { ok: true; order: TransferOrder } | { ok: false; errors: Record<string, string> } {
  const errors: Record<string, string> = {};
  const { to, amount, memo } = body;
  if (typeof to !== "string" || to.trim().length === 0 || to.trim().length > 64) {
    errors.to = "Name the recipient in 1 to 64 characters.";
  }
  if (
    typeof amount !== "number" ||
    !Number.isFinite(amount) ||
    amount <= 0 ||
    amount > MAX_TRANSFER_AMOUNT ||
    Math.abs(amount * 100 - Math.round(amount * 100)) > 1e-6
  ) {
    errors.amount = `The amount is a number above 0 and at most ${MAX_TRANSFER_AMOUNT}, with at most two decimals.`;
  }
  if (memo !== undefined && (typeof memo !== "string" || memo.length > 140)) {
    errors.memo = "A memo is text of at most 140 characters.";
  }
  if (Object.keys(errors).length > 0) return { ok: false, errors };
  const order: TransferOrder = { to: (to as string).trim(), amount: amount as number };
  if (typeof memo === "string" && memo.trim()) order.memo = memo.trim();
  return { ok: true, order };
}

/** Why a transfer was refused. */
type TransferRefusal = "insufficient_funds" | "idempotency_mismatch";

/** What executing an order answered. */
type TransferOutcome =
  | { ok: true; transfer: Transfer; balance: number; replayed: boolean }
  | { ok: false; reason: TransferRefusal; balance: number };

/** Per-user balances and transfers, with `Idempotency-Key` replay protection. */
export interface TransferBook {
  balance(userId: string): number;
  /** The user's transfers, newest first. */
  list(userId: string): Transfer[];
  /**
   * Executes an order once per idempotency key: the same key with the same order answers the
   * first result again (`replayed`), the same key with another order is refused.
   */
  execute(userId: string, order: TransferOrder, idempotencyKey: string | null): TransferOutcome;
}

/** Options of {@link createTransferBook}. */
export interface TransferBookOptions {
  /** The server's clock. Defaults to `Date.now`. */
  now?: () => number;
  /** Creates transfer ids. */
  newId: () => string;
  /** Idempotency keys remembered per user. Defaults to 100. */
  keysPerUser?: number;
}

interface Ledger {
  cents: number;
  transfers: Transfer[];
  keys: Map<string, { fingerprint: string; transfer: Transfer }>;
}

/** An empty book: every user starts with {@link OPENING_BALANCE}. */
export function createTransferBook(options: TransferBookOptions): TransferBook {
  const now = options.now ?? (() => Date.now());
  const keysPerUser = options.keysPerUser ?? 100;
  const ledgers = new Map<string, Ledger>();
  const ledger = (userId: string) => {
    let l = ledgers.get(userId);
    if (!l) {
      l = { cents: OPENING_BALANCE * 100, transfers: [], keys: new Map() };
      ledgers.set(userId, l);
    }
    return l;
  };

  return {
    balance: (userId) => ledger(userId).cents / 100,
    list: (userId) => [...ledger(userId).transfers],
    execute(userId, order, key) {
      const l = ledger(userId);
      const fingerprint = JSON.stringify([order.to, order.amount, order.memo ?? null]);
      const previous = key === null ? undefined : l.keys.get(key);
      if (previous) {
        return previous.fingerprint === fingerprint
          ? { ok: true, transfer: previous.transfer, balance: l.cents / 100, replayed: true }
          : { ok: false, reason: "idempotency_mismatch", balance: l.cents / 100 };
      }
      const cents = Math.round(order.amount * 100);
      if (cents > l.cents)
        return { ok: false, reason: "insufficient_funds", balance: l.cents / 100 };
      l.cents -= cents;
      const transfer: Transfer = {
        id: options.newId(),
        to: order.to,
        amount: order.amount,
        currency: "EUR",
        createdAt: now(),
        ...(order.memo ? { memo: order.memo } : {}),
      };
      l.transfers.unshift(transfer);
      l.transfers.length = Math.min(l.transfers.length, 50);
      if (key !== null) {
        l.keys.set(key, { fingerprint, transfer });
        if (l.keys.size > keysPerUser) l.keys.delete(l.keys.keys().next().value!);
      }
      return { ok: true, transfer, balance: l.cents / 100, replayed: false };
    },
  };
}
