import { type FormEvent, useId, useState } from "react";
import { DEMO_USER } from "../api/demoUser";
import { useDemo } from "./demoContext";
import { TextField } from "./fields";

/** Username and password: the app's own primary login, before any MFA. */
export function SignInScreen() {
  const { auth, reloaded } = useDemo();
  const id = useId();
  const [username, setUsername] = useState("");
  const [password, setPassword] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await auth.signIn(username.trim(), password);
    } catch (failure) {
      setError((failure as Error).message);
      setBusy(false);
    }
  };

  return (
    <section className="card" aria-labelledby={`${id}h`}>
      <h2 id={`${id}h`}>Sign in</h2>
      {reloaded && (
        <p className="notice" role="status">
          You were signed out because the page was reloaded: the demo's server runs inside this tab
          and started over. Sign in again to continue.
        </p>
      )}
      <p data-testid="intro">
        mfa-kit adds a second factor to your sign-in and API: a server kit that guards routes and a
        client that asks for a code only when the API wants one. Sign in, set up the authenticator
        app with the stand-in on the right, then send money and try the demo tools.
      </p>
      <p className="hint">
        The demo's server runs inside this tab: reloading the page starts over, signed out.
      </p>
      <p className="hint">
        Demo account: username <code>{DEMO_USER.username}</code>, password{" "}
        <code>{DEMO_USER.password}</code>.
      </p>
      <form onSubmit={submit}>
        <TextField
          label="Username"
          name="username"
          autoComplete="username"
          required
          value={username}
          onValue={setUsername}
        />
        <TextField
          label="Password"
          name="password"
          type="password"
          autoComplete="current-password"
          required
          value={password}
          onValue={setPassword}
        />
        {error && (
          <p className="alert" role="alert">
            {error}
          </p>
        )}
        <button type="submit" className="button primary" disabled={busy}>
          {busy ? "Signing in…" : "Sign in"}
        </button>
      </form>
    </section>
  );
}
