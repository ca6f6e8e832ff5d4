import type { ActivateFactorResponse, ContactChannel } from "@mfa-kit/protocol";
import { type ReactNode, useEffect, useId, useRef, useState } from "react";
import { errorCode } from "../errorCode";
import { formatCountdown } from "../format";
import { useCountdown } from "../hooks/useCountdown";
import { useEnrollment } from "../hooks/useEnrollment";
import { useMfaContext } from "../mfaContext";
import { BackupCodes, type BackupCodesProps } from "./BackupCodes";
import { useFactorStyles } from "./factorStyles";
import { OneTimeCodeInput } from "./OneTimeCodeInput";

/** The texts of {@link ContactEnrollment}. */
export interface ContactEnrollmentMessages {
  title: (channel: ContactChannel) => string;
  channelLabel: string;
  sms: string;
  email: string;
  phoneLabel: string;
  phoneHint: string;
  emailLabel: string;
  send: string;
  sending: string;
  sent: (to: string) => string;
  codeLabel: (length: number) => string;
  confirm: string;
  resend: string;
  resendIn: (countdown: string) => string;
  resent: string;
  change: string;
  cancel: string;
  invalidPhone: string;
  invalidEmail: string;
  wrongCode: (attemptsLeft: number | null) => string;
  expired: string;
  wait: (countdown: string) => string;
  undelivered: string;
  failed: string;
  done: (to: string) => string;
}

const defaults: ContactEnrollmentMessages = {
  title: (channel) => (channel === "sms" ? "Add a phone number" : "Add an e-mail address"),
  channelLabel: "Get codes by",
  sms: "Text message (SMS)",
  email: "E-mail",
  phoneLabel: "Phone number",
  phoneHint: "In international format, for example +44 7700 900123.",
  emailLabel: "E-mail address",
  send: "Send code",
  sending: "Sending…",
  sent: (to) => `We sent a code to ${to}.`,
  codeLabel: (length) => `Enter the ${length}-digit code`,
  confirm: "Confirm",
  resend: "Send a new code",
  resendIn: (countdown) => `Send a new code in ${countdown}`,
  resent: "A new code is on its way.",
  change: "Use a different one",
  cancel: "Cancel",
  invalidPhone: "Enter the number with its country code, for example +44 7700 900123.",
  invalidEmail: "Enter an e-mail address such as name@example.com.",
  wrongCode: (left) =>
    `That code didn't work.${left == null ? "" : ` ${left} attempt${left === 1 ? "" : "s"} left.`}`,
  expired: "That code has expired. Send a new one.",
  wait: (countdown) => `A code was sent moments ago. You can ask for another in ${countdown}.`,
  undelivered: "The code couldn't be sent. Try again in a moment.",
  failed: "That didn't work. Try again.",
  done: (to) => `${to} is set up: you can get codes there now.`,
};

/** Props of {@link ContactEnrollment}. */
export interface ContactEnrollmentProps {
  /** Offer only this channel. Defaults to a choice of SMS and e-mail. */
  channel?: ContactChannel;
  /** Digits in a code. Defaults to 6. */
  codeLength?: number;
  /** How long after a send the server accepts another (until it says otherwise with a 429). Defaults to 30 000 ms, the server kit's default. */
  resendAfterMs?: number;
  /** Called once the factor is active and any backup codes were acknowledged. Defaults to nothing. */
  onComplete?(result: ActivateFactorResponse): void;
  /** Shows a Cancel button that resets and calls this. Defaults to no button. */
  onCancel?(): void;
  /** The heading. Defaults to "Add a phone number" / "Add an e-mail address". */
  title?: ReactNode;
  /** Overrides some or all texts. Defaults to English. */
  messages?: Partial<ContactEnrollmentMessages>;
  /** Props for the backup codes shown after activation. Defaults to none. */
  backupCodes?: Omit<BackupCodesProps, "codes" | "onDone">;
  /** Class of the panel. Defaults to `"mfa-panel"`. */
  className?: string;
}

const PHONE = /^\+[1-9]\d{6,14}$/;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/**
 * Adds a phone number (SMS) or an e-mail address as a factor: enter it, receive a code, confirm
 * it. "Send a new code" counts down the server's cooldown; the first factor's backup codes are
 * shown once at the end.
 */
export function ContactEnrollment({
  channel: only,
  codeLength = 6,
  resendAfterMs = 30_000,
  onComplete,
  onCancel,
  title,
  messages,
  backupCodes,
  className = "mfa-panel",
}: ContactEnrollmentProps) {
  const { client } = useMfaContext("<ContactEnrollment>");
  const enrollment = useEnrollment();
  const { step, contact } = enrollment;
  useFactorStyles();
  const m = { ...defaults, ...messages };
  const id = useId();
  const [channel, setChannel] = useState<ContactChannel>(only ?? "sms");
  const [to, setTo] = useState("");
  const [code, setCode] = useState("");
  const [invalid, setInvalid] = useState(false);
  const [note, setNote] = useState<string | null>(null);
  const [resendError, setResendError] = useState<Error | null>(null);
  const [resendAt, setResendAt] = useState<number | null>(null);
  const wait = useCountdown(resendAt);
  const field = useRef<HTMLInputElement>(null);
  const codeField = useRef<HTMLInputElement>(null);
  const confirming = step === "confirm" || step === "activating";

  // Focus lands in the first field of each step.
  useEffect(() => {
    (confirming ? codeField : field).current?.focus();
  }, [confirming]);

  // A failure that came with the server's wait (429 + Retry-After) restarts the countdown.
  const error = resendError ?? enrollment.error;
  const retryAfterMs = (error as { retryAfterMs?: number } | null)?.retryAfterMs;
  useEffect(() => {
    if (retryAfterMs) setResendAt(Date.now() + retryAfterMs);
  }, [retryAfterMs]);
  useEffect(() => {
    if (enrollment.error && confirming) setCode("");
  }, [enrollment.error, confirming]);

  if (step === "done" && enrollment.backupCodes?.length) {
    const result = { factor: enrollment.factor!, backupCodes: enrollment.backupCodes };
    return (
      <BackupCodes
        {...backupCodes}
        codes={result.backupCodes}
        onDone={() => onComplete?.(result)}
      />
    );
  }

  const address = to.trim();
  const clean = channel === "sms" ? address.replace(/[\s().-]/g, "") : address;
  const send = async () => {
    setNote(null);
    setResendError(null);
    if (!(channel === "sms" ? PHONE : EMAIL).test(clean)) {
      setInvalid(true);
      field.current?.focus();
      return;
    }
    setInvalid(false);
    await enrollment.startContact({ channel, to: clean });
    setResendAt(Date.now() + resendAfterMs);
  };
  const resend = async () => {
    if (!contact || wait) return;
    setNote(null);
    setResendError(null);
    try {
      await client.api.startChallenge(contact.factorId);
      setResendAt(Date.now() + resendAfterMs);
      setNote(m.resent);
    } catch (failure) {
      const after = (failure as { retryAfterMs?: number }).retryAfterMs;
      if (after) setResendAt(Date.now() + after);
      setResendError(failure as Error);
    }
    codeField.current?.focus();
  };
  const confirm = async (value: string) => {
    setNote(null);
    setResendError(null);
    const result = await enrollment.confirm(value);
    if (result && !result.backupCodes?.length) onComplete?.(result);
  };

  const name = error && errorCode(error);
  const status = (error as { status?: number } | null)?.status;
  const message = invalid
    ? channel === "sms"
      ? m.invalidPhone
      : m.invalidEmail
    : !error
      ? null
      : status === 503
        ? m.undelivered
        : name === "rate_limited" || name === "LOCKED"
          ? // Said only while it is true: gone when the countdown ends.
            wait
            ? m.wait(formatCountdown(wait))
            : null
          : name === "code_expired"
            ? m.expired
            : name === "INVALID_CODE" && confirming
              ? m.wrongCode((error as { attemptsLeft?: number }).attemptsLeft ?? null)
              : name === "INVALID_CODE" || status === 400
                ? channel === "sms"
                  ? m.invalidPhone
                  : m.invalidEmail
                : m.failed;
  const alert = message && (
    <p id={`${id}e`} className="mfa-alert" role="alert">
      {message}
    </p>
  );
  const cancel = onCancel && (
    <button
      type="button"
      className="mfa-button"
      onClick={() => {
        enrollment.reset();
        onCancel();
      }}
    >
      {m.cancel}
    </button>
  );

  return (
    <section className={className} aria-labelledby={id} aria-busy={step === "starting"}>
      <h2 id={id} className="mfa-title">
        {title ?? m.title(channel)}
      </h2>
      {step === "done" ? (
        <p role="status">{m.done(contact?.to ?? "")}</p>
      ) : !confirming ? (
        <form
          noValidate
          onSubmit={(event) => {
            event.preventDefault();
            if (step !== "starting") void send();
          }}
        >
          {!only && (
            <fieldset className="mfa-field">
              <legend>{m.channelLabel}</legend>
              {(["sms", "email"] as const).map((c) => (
                <label key={c}>
                  <input
                    type="radio"
                    name={`${id}c`}
                    value={c}
                    checked={channel === c}
                    onChange={() => {
                      setChannel(c);
                      setInvalid(false);
                    }}
                  />{" "}
                  {m[c]}
                </label>
              ))}
            </fieldset>
          )}
          <div className="mfa-field">
            <label htmlFor={`${id}t`}>{channel === "sms" ? m.phoneLabel : m.emailLabel}</label>
            <input
              ref={field}
              id={`${id}t`}
              className="mfa-input"
              type={channel === "sms" ? "tel" : "email"}
              autoComplete={channel === "sms" ? "tel" : "email"}
              inputMode={channel === "sms" ? "tel" : "email"}
              value={to}
              aria-invalid={message ? true : undefined}
              aria-describedby={`${channel === "sms" ? `${id}h ` : ""}${message ? `${id}e` : ""}`}
              onChange={(event) => {
                setTo(event.target.value);
                setInvalid(false);
              }}
            />
            {channel === "sms" && (
              <span id={`${id}h`} className="mfa-muted">
                {m.phoneHint}
              </span>
            )}
          </div>
          {alert}
          <p role="status">{step === "starting" ? m.sending : null}</p>
          <div className="mfa-row">
            <button
              type="submit"
              className="mfa-button mfa-primary"
              aria-disabled={step === "starting" || undefined}
            >
              {m.send}
            </button>
            {cancel}
          </div>
        </form>
      ) : (
        <form
          noValidate
          onSubmit={(event) => {
            event.preventDefault();
            void confirm(code);
          }}
        >
          <p>{m.sent(contact?.to ?? "")}</p>
          <div className="mfa-field">
            <label htmlFor={`${id}k`}>{m.codeLabel(codeLength)}</label>
            <OneTimeCodeInput
              id={`${id}k`}
              inputRef={codeField}
              length={codeLength}
              value={code}
              readOnly={step === "activating"}
              onChange={setCode}
              onComplete={confirm}
              aria-describedby={message ? `${id}e` : undefined}
            />
          </div>
          {alert}
          <p role="status">{note}</p>
          <div className="mfa-row">
            <button
              type="submit"
              className="mfa-button mfa-primary"
              disabled={step === "activating"}
            >
              {m.confirm}
            </button>
            <button
              type="button"
              className="mfa-button"
              aria-disabled={!!wait || undefined}
              onClick={() => void resend()}
            >
              {wait ? m.resendIn(formatCountdown(wait)) : m.resend}
            </button>
            <button
              type="button"
              className="mfa-button"
              onClick={() => {
                enrollment.reset();
                setCode("");
                setNote(null);
                setResendError(null);
              }}
            >
              {m.change}
            </button>
            {cancel}
          </div>
        </form>
      )}
    </section>
  );
}
