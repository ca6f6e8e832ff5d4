import type { MfaClient } from "@mfa-kit/client";
import { useMfa } from "@mfa-kit/react";
import type { User, UserManager } from "oidc-client-ts";
import { useEffect, useState } from "react";

/** What the page counts, for people and for the browser test. */
export interface Telemetry {
  reauthorizations: number;
  events: string[];
}

/** The `acr` of an access token (a JWT), for display only: the API verifies it. */
const acrOf = (token: string | undefined): string | undefined => {
  try {
    return JSON.parse(atob(token!.split(".")[1]!.replace(/-/g, "+").replace(/_/g, "/"))).acr;
  } catch {
    return undefined;
  }
};

export function App({
  oidc,
  mfa,
  telemetry,
}: {
  oidc: UserManager;
  mfa: MfaClient;
  telemetry: Telemetry;
}) {
  const [user, setUser] = useState<User | null | undefined>(undefined);
  const [result, setResult] = useState("");
  const { clockOffsetMs } = useMfa();

  useEffect(() => {
    const update = () => void oidc.getUser().then(setUser);
    update();
    oidc.events.addUserLoaded(update);
    return () => oidc.events.removeUserLoaded(update);
  }, [oidc]);

  const run = async (label: string, calls: () => Promise<Response>[]) => {
    setResult(`${label}…`);
    try {
      const answers = await Promise.all(calls());
      const ok = answers.filter((r) => r.ok).length;
      setResult(`${label}: ${ok} of ${answers.length} succeeded`);
    } catch (error) {
      setResult(`${label}: ${(error as { code?: string }).code ?? String(error)}`);
    }
    setUser(await oidc.getUser());
  };

  if (user === undefined) return <p>Loading…</p>;
  if (!user) {
    return (
      <main>
        <h1>mfa-kit with an OpenID Provider</h1>
        <p>Sign in at the provider with a password; sensitive calls then step up to MFA.</p>
        <button type="button" onClick={() => void oidc.signinRedirect()}>
          Sign in
        </button>
      </main>
    );
  }
  const transfer = () => mfa.fetch("/api/transfers", { method: "POST" });
  return (
    <main>
      <h1>Signed in as {user.profile.sub}</h1>
      <p>
        Token acr: <output data-testid="acr">{acrOf(user.access_token)}</output>
      </p>
      <p>
        <button
          type="button"
          onClick={() => void run("Profile", () => [mfa.fetch("/api/profile")])}
        >
          Load profile
        </button>{" "}
        <button type="button" onClick={() => void run("Transfer", () => [transfer()])}>
          Send a transfer
        </button>{" "}
        <button
          type="button"
          onClick={() => void run("Ten transfers", () => Array.from({ length: 10 }, transfer))}
        >
          Send ten transfers
        </button>
      </p>
      <p>
        <button
          type="button"
          onClick={() =>
            void oidc
              .signinPopup({ acr_values: "phr" })
              .then(setUser, (error: Error) => setResult(`Sign-in: ${error.message}`))
          }
        >
          Confirm with a security key
        </button>
      </p>
      <p role="status" data-testid="result">
        {result}
      </p>
      <dl>
        <dt>Re-authorizations</dt>
        <dd data-testid="reauthorizations">{telemetry.reauthorizations}</dd>
        <dt>Server clock offset</dt>
        <dd data-testid="clock-offset">{clockOffsetMs}</dd>
      </dl>
    </main>
  );
}
