import { useMfa } from "@mfa-kit/react";
import { useEffect, useState } from "react";
import { errorText } from "./errorText";
import { formatClockOffset, formatDuration, formatTime } from "./format";
import { useNow } from "./useNow";

/** Freshness the sensitive routes demand, as the API is configured (max_age=300). */
const STEP_UP_MAX_AGE_MS = 300_000;

/** The MFA session as the client sees it, with live countdowns on the server's clock. */
export function SessionCard() {
  const { session, clockOffsetMs, client, status } = useMfa();
  const now = useNow();
  const [error, setError] = useState<string | null>(null);
  const serverNow = now + clockOffsetMs;
  // A failed "Verify again" stops being true once a verification (here or elsewhere) succeeds.
  const verifiedAt = session?.authTime;
  // biome-ignore lint/correctness/useExhaustiveDependencies: clears on each new verification
  useEffect(() => setError(null), [verifiedAt]);

  return (
    <section className="card" aria-labelledby="session-h">
      <h2 id="session-h">MFA session</h2>
      {session ? (
        <dl className="facts">
          <dt>Verified with</dt>
          <dd>
            {session.amr.join(", ") || "—"} (acr {session.acr}) at{" "}
            {formatTime(session.authTime - clockOffsetMs)}
          </dd>
          <dt>Sensitive actions</dt>
          <dd>
            {serverNow - session.authTime < STEP_UP_MAX_AGE_MS
              ? `allowed for ${formatDuration(STEP_UP_MAX_AGE_MS - (serverNow - session.authTime))} more`
              : "need a fresh verification (step-up)"}
          </dd>
          <dt>Session ends in</dt>
          <dd>{formatDuration(session.expiresAt - serverNow)}</dd>
          <dt>Clock offset</dt>
          <dd>
            {Math.round(clockOffsetMs / 1000) === 0
              ? "in sync with the server"
              : `server is ${formatClockOffset(clockOffsetMs)}`}
          </dd>
        </dl>
      ) : (
        <p className="muted">No MFA session yet: the first protected call asks for a code.</p>
      )}
      {error && (
        <p className="alert" role="alert">
          {error}
        </p>
      )}
      <div className="row">
        <button
          type="button"
          className="button"
          disabled={status === "challenge" || status === "verifying"}
          onClick={() => {
            setError(null);
            client.stepUp({ maxAge: 0 }).catch((e: unknown) => setError(errorText(e)));
          }}
        >
          Verify again now
        </button>
      </div>
    </section>
  );
}
