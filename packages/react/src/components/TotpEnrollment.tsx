import type { ActivateFactorResponse } from "@mfa-kit/protocol";
import { formatBase32ForDisplay } from "@mfa-kit/protocol";
import { type ReactNode, useEffect, useId, useRef, useState } from "react";
import { errorCode } from "../errorCode";
import { useEnrollment } from "../hooks/useEnrollment";
import { BackupCodes, type BackupCodesProps } from "./BackupCodes";
import { button } from "./button";
import { CopyButton } from "./CopyButton";
import { OneTimeCodeInput } from "./OneTimeCodeInput";
import { QrCode } from "./QrCode";

/** The texts of {@link TotpEnrollment}. */
export interface TotpEnrollmentMessages {
  title: string;
  start: string;
  starting: string;
  scan: string;
  qrLabel: string;
  openApp: string;
  manual: string;
  copyKey: string;
  copied: string;
  copyFailed: string;
  scanHint: string;
  codeLabel: (length: number) => string;
  confirm: string;
  cancel: string;
  wrongCode: string;
  failed: string;
  done: string;
}

const defaults: TotpEnrollmentMessages = {
  title: "Set up an authenticator app",
  start: "Set up authenticator app",
  starting: "Preparing…",
  scan: "Scan this QR code with your authenticator app.",
  qrLabel: "QR code for your authenticator app",
  openApp: "Open in an authenticator app on this device",
  manual: "Or enter this key in the app:",
  copyKey: "Copy key",
  copied: "Copied.",
  copyFailed: "Copying failed.",
  scanHint: "Trouble scanning? Type the key below into the app instead.",
  codeLabel: (length) => `Enter the ${length}-digit code the app shows`,
  confirm: "Confirm",
  cancel: "Cancel",
  wrongCode: "That code didn't work. Try the current one.",
  failed: "That didn't work. Try again.",
  done: "Your authenticator app is set up.",
};

/** Props of {@link TotpEnrollment}. */
export interface TotpEnrollmentProps {
  /** Sent to the server as the account name shown in the app. Defaults to the server's choice (the user's id). */
  label?: string;
  /** Starts enrollment on mount; otherwise a button does. Defaults to `true`. */
  autoStart?: boolean;
  /** Called once the factor is active and any backup codes were acknowledged. Defaults to nothing. */
  onComplete?(result: ActivateFactorResponse): void;
  /** Shows a Cancel button that resets and calls this. Defaults to no button. */
  onCancel?(): void;
  /** QR code size in CSS pixels. Defaults to 300. */
  qrSize?: number;
  /** Without a code typed for this long (ms), hint at manual entry. Defaults to 30 000. */
  scanHintMs?: number;
  /** Digits in a code. Defaults to 6. */
  codeLength?: number;
  /** The heading. Defaults to "Set up an authenticator app". */
  title?: ReactNode;
  /** Overrides some or all texts. Defaults to English. */
  messages?: Partial<TotpEnrollmentMessages>;
  /** Props for the backup codes shown after activation. Defaults to none. */
  backupCodes?: Omit<BackupCodesProps, "codes" | "onDone">;
  /** Class of the panel. Defaults to `"mfa-panel"`. */
  className?: string;
}

/**
 * TOTP enrollment, start to finish: the otpauth URI as a QR code, the key grouped in fours with a
 * copy button for manual entry (with a hint after 30 s), confirmation with the first code, then the
 * backup codes once.
 */
export function TotpEnrollment({
  label,
  autoStart = true,
  onComplete,
  onCancel,
  qrSize = 300,
  scanHintMs = 30_000,
  codeLength = 6,
  title,
  messages,
  backupCodes,
  className = "mfa-panel",
}: TotpEnrollmentProps) {
  const enrollment = useEnrollment();
  const { step, totp, error } = enrollment;
  const m = { ...defaults, ...messages };
  const id = useId();
  const [code, setCode] = useState("");
  const [hint, setHint] = useState(false);
  const start = () => enrollment.startTotp({ label });
  const confirm = async (value: string) => {
    const result = await enrollment.confirm(value);
    if (result && !result.backupCodes?.length) onComplete?.(result);
  };

  // Starts once, on mount; the ref keeps StrictMode's second effect run from enrolling twice.
  const started = useRef(false);
  // biome-ignore lint/correctness/useExhaustiveDependencies: on mount only
  useEffect(() => {
    if (autoStart && !started.current) void start();
    started.current = true;
  }, []);

  // No code typed a while after the QR code appeared: the scan probably isn't working.
  const typing = code !== "";
  useEffect(() => {
    setHint(false);
    if (!totp || typing) return;
    const timer = setTimeout(() => setHint(true), scanHintMs);
    return () => clearTimeout(timer);
  }, [totp, typing, scanHintMs]);

  // A rejected code is cleared so the next one can be typed straight away.
  useEffect(() => {
    if (error) setCode("");
  }, [error]);

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
  const message = error && (errorCode(error) === "INVALID_CODE" ? m.wrongCode : m.failed);
  const alert = message && (
    <p id={`${id}e`} className="mfa-alert" role="alert">
      {message}
    </p>
  );

  return (
    <section className={className} aria-labelledby={id} aria-busy={step === "starting"}>
      <h2 id={id} className="mfa-title">
        {title ?? m.title}
      </h2>
      {step === "done" ? (
        <p role="status">{m.done}</p>
      ) : !totp ? (
        <>
          {alert}
          {step === "starting" ? <p role="status">{m.starting}</p> : button(m.start, start, true)}
        </>
      ) : (
        <>
          <p>{m.scan}</p>
          <QrCode value={totp.otpauthUri} size={qrSize} label={m.qrLabel} />
          <p>
            <a className="mfa-link" href={totp.otpauthUri}>
              {m.openApp}
            </a>
          </p>
          <p role="status" className={hint ? "mfa-warning" : undefined}>
            {hint && m.scanHint}
          </p>
          <p>{m.manual}</p>
          <div className="mfa-row">
            <code className="mfa-key">{formatBase32ForDisplay(totp.secret)}</code>
            <CopyButton
              text={totp.secret}
              label={m.copyKey}
              done={m.copied}
              failed={m.copyFailed}
            />
          </div>
          <form
            noValidate
            onSubmit={(event) => {
              event.preventDefault();
              void confirm(code);
            }}
          >
            <div className="mfa-field">
              <label htmlFor={`${id}c`}>{m.codeLabel(codeLength)}</label>
              <OneTimeCodeInput
                id={`${id}c`}
                length={codeLength}
                value={code}
                readOnly={step === "activating"}
                onChange={setCode}
                onComplete={confirm}
                aria-describedby={message ? `${id}e` : undefined}
              />
            </div>
            {alert}
            <div className="mfa-row">
              {button(m.confirm, undefined, true, step === "activating")}
              {onCancel &&
                button(m.cancel, () => {
                  enrollment.reset();
                  onCancel();
                })}
            </div>
          </form>
        </>
      )}
    </section>
  );
}
