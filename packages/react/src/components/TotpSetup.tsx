import { formatBase32ForDisplay } from "@mfa-kit/protocol";
import { useEffect, useState } from "react";
import { errorCode } from "../errorCode";
import type { EnrollmentState } from "../hooks/useEnrollment";
import { button } from "./button";
import { CopyButton } from "./CopyButton";
import { OneTimeCodeInput } from "./OneTimeCodeInput";
import { QrCode } from "./QrCode";
import type { FrameMessages, TotpEnrollmentMessages, TotpEnrollmentProps } from "./TotpEnrollment";

const defaults: Omit<TotpEnrollmentMessages, keyof FrameMessages> = {
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
};

/** What {@link TotpSetup} needs from `<TotpEnrollment>`. */
export interface TotpSetupProps
  extends Pick<TotpEnrollmentProps, "onComplete" | "onCancel" | "qrSize" | "scanHintMs"> {
  enrollment: EnrollmentState & { totp: NonNullable<EnrollmentState["totp"]> };
  /** The app's texts over `<TotpEnrollment>`'s defaults; the view's own defaults fill the rest. */
  messages: FrameMessages & Partial<TotpEnrollmentMessages>;
  /** The panel's id: the fields' ids start with it. */
  id: string;
  codeLength: number;
}

/**
 * The middle of `<TotpEnrollment>`, once the server made a secret: the QR code, the key for manual
 * entry (with a hint after `scanHintMs` without a code typed), and confirmation with the first
 * code. Not an export: `<TotpEnrollment>` `import()`s it when the enrollment starts, alongside the
 * server's answer, so that an app that never enrolls an authenticator does not carry it.
 */
export function TotpSetup({
  enrollment,
  messages,
  id,
  onComplete,
  onCancel,
  qrSize = 300,
  scanHintMs = 30_000,
  codeLength,
}: TotpSetupProps) {
  const { step, totp, error } = enrollment;
  const m = { ...defaults, ...messages };
  const [code, setCode] = useState("");
  const [hint, setHint] = useState(false);
  const confirm = async (value: string) => {
    const result = await enrollment.confirm(value);
    if (result && !result.backupCodes?.length) onComplete?.(result);
  };

  // No code typed a while after the QR code appeared: the scan probably isn't working.
  const typing = code !== "";
  useEffect(() => {
    setHint(false);
    if (typing) return;
    const timer = setTimeout(() => setHint(true), scanHintMs);
    return () => clearTimeout(timer);
  }, [typing, scanHintMs]);

  // A rejected code is cleared so the next one can be typed straight away.
  useEffect(() => {
    if (error) setCode("");
  }, [error]);

  const message = error && (errorCode(error) === "INVALID_CODE" ? m.wrongCode : m.failed);
  return (
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
        <CopyButton text={totp.secret} label={m.copyKey} done={m.copied} failed={m.copyFailed} />
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
        {message && (
          <p id={`${id}e`} className="mfa-alert" role="alert">
            {message}
          </p>
        )}
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
  );
}
