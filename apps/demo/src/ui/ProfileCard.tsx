import { useMfa } from "@mfa-kit/react";
import { useCallback, useEffect, useRef, useState } from "react";
import type { Profile } from "../app/bankApi";
import { useDemo } from "./demoContext";
import { errorText } from "./errorText";
import { formatMoney } from "./format";

/** `GET /api/profile`: a route guarded by the MFA session (no step-up). */
export function ProfileCard({ version }: { version: number }) {
  const { bank } = useDemo();
  const [profile, setProfile] = useState<Profile | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(true);

  const load = useCallback(async () => {
    setBusy(true);
    setError(null);
    try {
      setProfile(await bank.profile());
    } catch (failure) {
      setError(errorText(failure));
    } finally {
      setBusy(false);
    }
  }, [bank]);

  // biome-ignore lint/correctness/useExhaustiveDependencies: reloads when a transfer changed the balance
  useEffect(() => {
    void load();
  }, [load, version]);

  // A failed load ("verification cancelled") stops being true once a verification succeeds
  // elsewhere on the page: load again then.
  const verifiedAt = useMfa().session?.authTime;
  const failed = useRef(false);
  failed.current = error !== null;
  useEffect(() => {
    if (verifiedAt !== undefined && failed.current) void load();
  }, [verifiedAt, load]);

  return (
    <section className="card" aria-labelledby="profile-h" aria-busy={busy}>
      <h2 id="profile-h">Account</h2>
      {profile && (
        <dl className="facts">
          <dt>Name</dt>
          <dd>{profile.user.name}</dd>
          <dt>Username</dt>
          <dd>{profile.user.username}</dd>
          <dt>Balance</dt>
          <dd data-testid="balance">
            {formatMoney(profile.balance.amount, profile.balance.currency)}
          </dd>
        </dl>
      )}
      {error && (
        <p className="alert" role="alert">
          {error}
        </p>
      )}
      <p className="small muted">
        <code>GET /api/profile</code> needs an MFA session.
      </p>
      <button type="button" className="button" onClick={() => void load()} disabled={busy}>
        {busy ? "Loading…" : "Reload profile"}
      </button>
    </section>
  );
}
