import type { FactorSummary } from "@mfa-kit/protocol";
import { startRegistration } from "@simplewebauthn/browser";
import { type ReactNode, useEffect, useId, useRef, useState } from "react";
import { invalidate } from "../cache/queryCache";
import { useMfaContext } from "../mfaContext";
import { isCeremonyCancelled, useWebAuthnSupport } from "../webauthn";
import { useFactorStyles } from "./factorStyles";

/** The texts of {@link SecurityKeyEnrollment}. */
export interface SecurityKeyEnrollmentMessages {
  title: string;
  intro: string;
  nameLabel: string;
  nameHint: string;
  defaultName: string;
  add: string;
  adding: string;
  notAllowed: string;
  alreadyRegistered: string;
  unsupported: string;
  failed: string;
  done: (name: string) => string;
  another: string;
  cancel: string;
}

const defaults: SecurityKeyEnrollmentMessages = {
  title: "Add a security key",
  intro: "Use a security key or a passkey as a second step when you sign in.",
  nameLabel: "Name of the key",
  nameHint: "So you can tell your keys apart, for example “Blue YubiKey”.",
  defaultName: "Security key",
  add: "Add security key",
  adding: "Follow your browser's prompt…",
  notAllowed:
    "The browser's prompt was closed or timed out, so nothing was added. Try again when your key is ready.",
  alreadyRegistered: "This security key is already registered. Use another key, or keep this one.",
  unsupported: "This browser can't use security keys.",
  failed: "The key couldn't be added. Try again.",
  done: (name) => `“${name}” was added.`,
  another: "Add another key",
  cancel: "Cancel",
};

/** Props of {@link SecurityKeyEnrollment}. */
export interface SecurityKeyEnrollmentProps {
  /** Called with the new factor once the key is registered. Defaults to nothing. */
  onComplete?(factor: FactorSummary): void;
  /** Shows a Cancel button that calls this. Defaults to no button. */
  onCancel?(): void;
  /** The heading. Defaults to "Add a security key". */
  title?: ReactNode;
  /** Overrides some or all texts. Defaults to English. */
  messages?: Partial<SecurityKeyEnrollmentMessages>;
  /** Class of the panel. Defaults to `"mfa-panel"`. */
  className?: string;
}

type Outcome = { kind: "done"; name: string } | { kind: "note" | "alert"; text: string } | null;

/** The browser says the key is already registered (`excludeCredentials` matched it). */
const alreadyRegistered = (error: unknown) => {
  const e = error as { name?: unknown; code?: unknown } | null;
  return e?.name === "InvalidStateError" || e?.code === "ERROR_AUTHENTICATOR_PREVIOUSLY_REGISTERED";
};

/**
 * Registers a security key or passkey (WebAuthn) as a second factor: name it, follow the browser's
 * prompt. A dismissed or timed-out prompt and a key that is already registered each get a plain
 * sentence, not an error; the factor list is refreshed after a registration.
 */
export function SecurityKeyEnrollment({
  onComplete,
  onCancel,
  title,
  messages,
  className = "mfa-panel",
}: SecurityKeyEnrollmentProps) {
  const { client } = useMfaContext("<SecurityKeyEnrollment>");
  const supported = useWebAuthnSupport();
  useFactorStyles();
  const m = { ...defaults, ...messages };
  const id = useId();
  const [name, setName] = useState("");
  const [busy, setBusy] = useState(false);
  const [outcome, setOutcome] = useState<Outcome>(null);
  const field = useRef<HTMLInputElement>(null);
  const again = useRef<HTMLButtonElement>(null);
  const done = outcome?.kind === "done";

  // Focus lands in the name field, and on "Add another key" once a key was added.
  useEffect(() => {
    (done ? again : field).current?.focus();
  }, [done]);

  const add = async () => {
    const label = name.trim() || m.defaultName;
    setBusy(true);
    setOutcome(null);
    try {
      const options = await client.api.webauthnRegistrationOptions();
      const response = await startRegistration({
        optionsJSON: options as unknown as Parameters<typeof startRegistration>[0]["optionsJSON"],
      });
      const { factor } = await client.api.verifyWebauthnRegistration({
        response: response as unknown as Record<string, unknown>,
        label,
      });
      void invalidate(client);
      setOutcome({ kind: "done", name: factor.label ?? label });
      setName("");
      onComplete?.(factor);
    } catch (error) {
      const code = (error as { code?: unknown } | null)?.code;
      setOutcome(
        code === "STEP_UP_CANCELLED"
          ? null
          : alreadyRegistered(error)
            ? { kind: "note", text: m.alreadyRegistered }
            : isCeremonyCancelled(error)
              ? { kind: "note", text: m.notAllowed }
              : { kind: "alert", text: m.failed },
      );
      field.current?.focus();
    }
    setBusy(false);
  };

  return (
    <section className={className} aria-labelledby={id} aria-busy={busy}>
      <h2 id={id} className="mfa-title">
        {title ?? m.title}
      </h2>
      {done ? (
        <>
          <p role="status">{m.done(outcome.name)}</p>
          <button ref={again} type="button" className="mfa-button" onClick={() => setOutcome(null)}>
            {m.another}
          </button>
        </>
      ) : (
        <form
          noValidate
          onSubmit={(event) => {
            event.preventDefault();
            if (!busy && supported) void add();
          }}
        >
          <p>{m.intro}</p>
          <div className="mfa-field">
            <label htmlFor={`${id}n`}>{m.nameLabel}</label>
            <input
              ref={field}
              id={`${id}n`}
              className="mfa-input"
              value={name}
              maxLength={64}
              autoComplete="off"
              placeholder={m.defaultName}
              aria-describedby={`${id}h ${id}o`}
              onChange={(event) => setName(event.target.value)}
            />
            <span id={`${id}h`} className="mfa-muted">
              {m.nameHint}
            </span>
          </div>
          <p
            id={`${id}o`}
            role={outcome?.kind === "alert" ? "alert" : "status"}
            className={outcome?.kind === "alert" ? "mfa-alert" : undefined}
          >
            {!supported ? m.unsupported : busy ? m.adding : outcome?.text}
          </p>
          <div className="mfa-row">
            <button
              type="submit"
              className="mfa-button mfa-primary"
              disabled={!supported}
              aria-disabled={busy || undefined}
            >
              {m.add}
            </button>
            {onCancel && (
              <button type="button" className="mfa-button" onClick={onCancel}>
                {m.cancel}
              </button>
            )}
          </div>
        </form>
      )}
    </section>
  );
}
