import { type FormEvent, useId, useState } from "react";
import { useDemo } from "./demoContext";
import { errorText } from "./errorText";

/** `PUT /api/password`: sensitive, like transfers. */
export function PasswordCard() {
  const { bank } = useDemo();
  const id = useId();
  const [password, setPassword] = useState("");
  const [confirm, setConfirm] = useState("");
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<{ ok: boolean; text: string } | null>(null);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (password !== confirm) {
      setResult({ ok: false, text: "The two passwords differ." });
      return;
    }
    setBusy(true);
    setResult(null);
    try {
      await bank.changePassword(password);
      setResult({ ok: true, text: "Password changed." });
      setPassword("");
      setConfirm("");
    } catch (failure) {
      setResult({ ok: false, text: errorText(failure) });
    } finally {
      setBusy(false);
    }
  };

  return (
    <section className="card" aria-labelledby={`${id}h`}>
      <h2 id={`${id}h`}>Change password</h2>
      <form onSubmit={submit}>
        <div className="fields">
          <div className="field">
            <label htmlFor={`${id}n`}>New password</label>
            <input
              id={`${id}n`}
              type="password"
              autoComplete="new-password"
              minLength={8}
              required
              value={password}
              onChange={(e) => setPassword(e.target.value)}
            />
          </div>
          <div className="field">
            <label htmlFor={`${id}c`}>Repeat it</label>
            <input
              id={`${id}c`}
              type="password"
              autoComplete="new-password"
              required
              value={confirm}
              onChange={(e) => setConfirm(e.target.value)}
            />
          </div>
        </div>
        <button type="submit" className="button" disabled={busy}>
          {busy ? "Saving…" : "Change password"}
        </button>
      </form>
      <div role="status" aria-live="polite">
        {result && <p className={result.ok ? "success" : "alert"}>{result.text}</p>}
      </div>
    </section>
  );
}
