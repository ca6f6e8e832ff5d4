import { TotpEnrollment, useFactors } from "@mfa-kit/react";
import { useState } from "react";
import { AccountScreen } from "./AccountScreen";
import { useUser } from "./demoContext";
import { errorText } from "./errorText";

/** After the password: enrollment when the user has no factor yet, else the account page. */
export function SignedInArea() {
  const user = useUser();
  const factors = useFactors();
  const [loaded, setLoaded] = useState(false);
  if (!factors.loading && !loaded) setLoaded(true);
  const active = factors.factors.filter((f) => f.status === "active");

  if (!loaded) {
    return (
      <p className="card" role="status">
        Loading your account…
      </p>
    );
  }
  if (active.length === 0 && factors.error) {
    return (
      <section className="card" aria-labelledby="load-error">
        <h2 id="load-error">Your account could not be loaded</h2>
        <p className="alert" role="alert">
          {errorText(factors.error)}
        </p>
        <button type="button" className="button primary" onClick={() => void factors.refresh()}>
          Try again
        </button>
      </section>
    );
  }
  if (active.length === 0) {
    return (
      <>
        <section className="card" aria-labelledby="enroll-intro">
          <h2 id="enroll-intro">Protect your account with two-factor authentication</h2>
          <p>
            Scan the QR code with an authenticator app (or type the key), then enter the 6-digit
            code it shows. No app at hand? <strong>Show current code</strong> in the demo tools
            computes the same code.
          </p>
        </section>
        <TotpEnrollment
          label={user?.username}
          onComplete={() => void factors.refresh()}
          className="mfa-panel card"
        />
      </>
    );
  }
  return <AccountScreen />;
}
