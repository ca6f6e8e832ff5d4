import { type FormEvent, useEffect, useId, useState } from "react";
import type { Transfer } from "../api/transferBook";
import { useDemo } from "./demoContext";
import { errorText } from "./errorText";
import { FormResult, TextField } from "./fields";
import { formatMoney, formatTime } from "./format";

/** `POST /api/transfers`: sensitive, so a verification older than 5 minutes triggers step-up. */
export function TransferCard({ onTransferred }: { onTransferred(): void }) {
  const { bank } = useDemo();
  const id = useId();
  const [to, setTo] = useState("");
  const [amount, setAmount] = useState("");
  const [memo, setMemo] = useState("");
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<{ ok: boolean; text: string } | null>(null);
  const [transfers, setTransfers] = useState<Transfer[]>([]);

  useEffect(() => {
    bank.transfers().then(
      (list) => setTransfers(list.transfers),
      () => undefined, // the profile card shows why the account could not be read
    );
  }, [bank]);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setResult(null);
    try {
      const value = Number(amount.replace(",", "."));
      const { transfer } = await bank.createTransfer({
        to: to.trim(),
        amount: value,
        ...(memo.trim() ? { memo: memo.trim() } : {}),
      });
      setResult({ ok: true, text: `Sent ${formatMoney(transfer.amount)} to ${transfer.to}.` });
      setTransfers((list) => [transfer, ...list.filter((t) => t.id !== transfer.id)]);
      setTo("");
      setAmount("");
      setMemo("");
      onTransferred();
    } catch (failure) {
      setResult({ ok: false, text: errorText(failure) });
    } finally {
      setBusy(false);
    }
  };

  return (
    <section className="card" aria-labelledby={`${id}h`}>
      <h2 id={`${id}h`}>Send money</h2>
      <p className="small muted">
        <code>POST /api/transfers</code> is sensitive: it needs a verification at most 5 minutes old
        (<code>max_age=300</code>). Skew the server clock by +6 min to see the step-up without
        waiting.
      </p>
      <form onSubmit={submit}>
        <div className="fields">
          <TextField
            label="Recipient"
            name="to"
            required
            maxLength={64}
            value={to}
            onValue={setTo}
          />
          <TextField
            label="Amount (EUR)"
            name="amount"
            inputMode="decimal"
            required
            value={amount}
            onValue={setAmount}
          />
          <TextField
            label="Memo (optional)"
            name="memo"
            maxLength={140}
            value={memo}
            onValue={setMemo}
          />
        </div>
        <button type="submit" className="button primary" disabled={busy}>
          {busy ? "Sending…" : "Send"}
        </button>
      </form>
      <FormResult result={result} />
      {transfers.length > 0 && (
        <>
          <h3>Recent transfers</h3>
          <ul className="list" aria-label="Recent transfers">
            {transfers.map((t) => (
              <li key={t.id}>
                <span>
                  {t.to}
                  {t.memo ? <span className="muted"> — {t.memo}</span> : null}
                </span>
                <span>
                  {formatMoney(t.amount)}{" "}
                  <span className="muted small">{formatTime(t.createdAt)}</span>
                </span>
              </li>
            ))}
          </ul>
        </>
      )}
    </section>
  );
}
