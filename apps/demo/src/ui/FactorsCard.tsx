import { TotpEnrollment, useFactors } from "@mfa-kit/react";
import { ContactEnrollment, FactorList, SecurityKeyEnrollment } from "@mfa-kit/react/factors";
import { useId, useState } from "react";
import { useDemo, useUser } from "./demoContext";
import { factorName } from "./factorName";

type Adding = "totp" | "webauthn" | "sms" | "email" | null;

/**
 * The factors: the list (rename, remove with a confirmation and step-up, backup codes), and one
 * way to add each kind of factor.
 */
export function FactorsCard() {
  const user = useUser();
  const { webauthn } = useDemo();
  const { webauthnSupported } = useFactors();
  const id = useId();
  const [adding, setAdding] = useState<Adding>(null);
  const done = () => setAdding(null);

  return (
    <section className="card" aria-labelledby={`${id}h`}>
      <h2 id={`${id}h`}>Sign-in factors</h2>
      <FactorList
        className="mfa-panel"
        title="Your factors"
        messages={{ name: (f) => factorName(f, user?.username) }}
      />
      {adding === "totp" ? (
        <TotpEnrollment
          label={user?.username}
          className="mfa-panel"
          title="Add an authenticator app"
          onCancel={done}
          onComplete={done}
        />
      ) : adding === "webauthn" ? (
        <SecurityKeyEnrollment className="mfa-panel" onCancel={done} />
      ) : adding === "sms" || adding === "email" ? (
        <ContactEnrollment
          className="mfa-panel"
          channel={adding}
          onCancel={done}
          onComplete={done}
        />
      ) : (
        <div className="row">
          <button type="button" className="button" onClick={() => setAdding("totp")}>
            Add an authenticator app
          </button>
          {webauthn && webauthnSupported && (
            <button type="button" className="button" onClick={() => setAdding("webauthn")}>
              Add a security key
            </button>
          )}
          <button type="button" className="button" onClick={() => setAdding("sms")}>
            Add a phone number
          </button>
          <button type="button" className="button" onClick={() => setAdding("email")}>
            Add an e-mail address
          </button>
        </div>
      )}
      {(adding === "sms" || adding === "email") && (
        <p className="small muted">
          The demo sends no real messages: the code appears under Security events.
        </p>
      )}
    </section>
  );
}
