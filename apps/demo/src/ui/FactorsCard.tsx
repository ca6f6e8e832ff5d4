import type { FactorSummary } from "@mfa-kit/protocol";
import { BackupCodes, type FactorsState, TotpEnrollment } from "@mfa-kit/react";
import { useId, useState } from "react";
import { useDemo, useUser } from "./demoContext";
import { errorText } from "./errorText";
import { formatTime } from "./format";

const TYPE_NAMES: Record<FactorSummary["type"], string> = {
  totp: "Authenticator app",
  hotp: "Hardware token (HOTP)",
  sms: "Text message",
  email: "E-mail",
  webauthn: "Security key",
};

/** The factor list: remove one (step-up), add an authenticator or a security key, backup codes. */
export function FactorsCard({ factors }: { factors: FactorsState }) {
  const user = useUser();
  const { webauthn } = useDemo();
  const id = useId();
  const [adding, setAdding] = useState(false);
  const [keyStatus, setKeyStatus] = useState<string | null>(null);

  return (
    <section className="card" aria-labelledby={`${id}h`}>
      <h2 id={`${id}h`}>Sign-in factors</h2>
      <ul className="list" aria-label="Your factors">
        {factors.factors.map((f) => (
          <li key={f.id}>
            <span>
              <strong>{f.label ?? TYPE_NAMES[f.type]}</strong>{" "}
              {f.status === "pending" && <span className="badge warning">not confirmed</span>}
              <br />
              <span className="small muted">
                {TYPE_NAMES[f.type]}
                {f.hint ? ` · ${f.hint}` : ""} · added {formatTime(f.createdAt)}
                {f.lastUsedAt ? ` · last used ${formatTime(f.lastUsedAt)}` : ""}
              </span>
            </span>
            <button
              type="button"
              className="button danger"
              disabled={factors.busy}
              aria-label={`Remove ${f.label ?? TYPE_NAMES[f.type]} (${f.id})`}
              onClick={() => void factors.remove(f.id)}
            >
              Remove
            </button>
          </li>
        ))}
      </ul>
      <p className="small muted">
        Removing a factor needs a fresh verification. Backup codes left:{" "}
        {factors.backupCodesRemaining ?? "…"}
      </p>
      {factors.error && (
        <p className="alert" role="alert">
          {errorText(factors.error)}
        </p>
      )}
      {adding ? (
        <TotpEnrollment
          label={user?.username}
          className="mfa-panel"
          title="Add an authenticator app"
          onCancel={() => setAdding(false)}
          onComplete={() => {
            setAdding(false);
            void factors.refresh();
          }}
        />
      ) : (
        <div className="row">
          <button type="button" className="button" onClick={() => setAdding(true)}>
            Add an authenticator app
          </button>
          {webauthn && factors.webauthnSupported && (
            <button
              type="button"
              className="button"
              disabled={factors.busy}
              onClick={async () => {
                setKeyStatus(null);
                const key = await factors.registerWebAuthn("Security key");
                setKeyStatus(key ? "Security key added." : null);
              }}
            >
              Add a security key
            </button>
          )}
          <span role="status">{keyStatus}</span>
        </div>
      )}
      <BackupCodes className="mfa-panel" title="Your new backup codes" />
    </section>
  );
}
