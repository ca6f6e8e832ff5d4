import { type FormEvent, useId, useState } from "react";
import { useDemo } from "./demoContext";
import { errorText } from "./errorText";
import { FormResult, TextField } from "./fields";

/** `PUT /api/password`: sensitive, like transfers. */
export function PasswordCard() {
  const { bank, auth } = useDemo();
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
      // The old tokens are void now: carry on with the pair the server answered.
      auth.adopt(await bank.changePassword(password));
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
          <TextField
            label="New password"
            type="password"
            autoComplete="new-password"
            minLength={8}
            required
            value={password}
            onValue={setPassword}
          />
          <TextField
            label="Repeat it"
            type="password"
            autoComplete="new-password"
            required
            value={confirm}
            onValue={setConfirm}
          />
        </div>
        <button type="submit" className="button" disabled={busy}>
          {busy ? "Saving…" : "Change password"}
        </button>
      </form>
      <FormResult result={result} />
    </section>
  );
}
