import { type ReactNode, useId, useState } from "react";
import { invalidate } from "../cache/queryCache";
import { useMfaContext } from "../mfaContext";
import { downloadText } from "../saveText";
import { button } from "./button";
import { CopyButton } from "./CopyButton";

/** The texts of {@link BackupCodes}. */
export interface BackupCodesMessages {
  title: string;
  intro: string;
  copy: string;
  copied: string;
  copyFailed: string;
  download: string;
  acknowledge: string;
  done: string;
  regenerateTitle: string;
  regenerateIntro: string;
  regenerate: string;
  failed: string;
  file: (codes: string[]) => string;
}

const defaults: BackupCodesMessages = {
  title: "Save your backup codes",
  intro:
    "Each code signs you in once if you lose your other factors. Keep them safe: they are shown only now.",
  copy: "Copy codes",
  copied: "Copied.",
  copyFailed: "Copying failed.",
  download: "Download as text file",
  acknowledge: "I have saved these codes",
  done: "Done",
  regenerateTitle: "Backup codes",
  regenerateIntro: "Get a new set. The old codes stop working.",
  regenerate: "Generate new codes",
  failed: "That didn't work. Try again.",
  file: (codes) => `Backup codes (each works once)\n\n${codes.join("\n")}\n`,
};

/** Props of {@link BackupCodes}. */
export interface BackupCodesProps {
  /** Codes to show once (from an activation). Defaults to none: the component offers to generate a new set, behind step-up. */
  codes?: string[] | null;
  /** Called when the user has confirmed saving the codes and closed them. Defaults to nothing. */
  onDone?(): void;
  /** Name of the downloaded file. Defaults to `"backup-codes.txt"`. */
  filename?: string;
  /** The heading. Defaults to "Save your backup codes". */
  title?: ReactNode;
  /** Overrides some or all texts. Defaults to English. */
  messages?: Partial<BackupCodesMessages>;
  /** Class of the panel. Defaults to `"mfa-panel"`. */
  className?: string;
}

/**
 * Shows backup codes once, with copy and download, and closes only after the user confirms they
 * saved them. Without `codes`, offers to generate a new set (the client asks for step-up first).
 */
export function BackupCodes({
  codes,
  onDone,
  filename = "backup-codes.txt",
  title,
  messages,
  className = "mfa-panel",
}: BackupCodesProps) {
  const { client } = useMfaContext("<BackupCodes>");
  const m = { ...defaults, ...messages };
  const id = useId();
  const [fresh, setFresh] = useState<string[] | null>(null);
  const [closed, setClosed] = useState<string[] | null>(null);
  const [saved, setSaved] = useState(false);
  const [failed, setFailed] = useState(false);
  const [busy, setBusy] = useState(false);
  const shown = fresh ?? codes;
  const open = shown && shown !== closed;
  if (!open && codes) return null; // shown once, acknowledged, gone

  const regenerate = async () => {
    setBusy(true);
    setFailed(false);
    try {
      setFresh((await client.api.regenerateBackupCodes()).backupCodes);
      setSaved(false);
      // Every list showing how many codes are left shows the new count.
      void invalidate(client);
    } catch (error) {
      setFailed((error as { code?: unknown } | null)?.code !== "STEP_UP_CANCELLED");
    }
    setBusy(false);
  };

  return (
    <section className={className} aria-labelledby={id}>
      <h2 id={id} className="mfa-title">
        {open ? (title ?? m.title) : m.regenerateTitle}
      </h2>
      <p className="mfa-muted">{open ? m.intro : m.regenerateIntro}</p>
      {open ? (
        <>
          <ol className="mfa-codes" aria-label={m.regenerateTitle}>
            {shown.map((code) => (
              <li key={code}>
                <code>{code}</code>
              </li>
            ))}
          </ol>
          <div className="mfa-row">
            {button(m.download, () => downloadText(filename, m.file(shown)))}
            <CopyButton text={m.file(shown)} label={m.copy} done={m.copied} failed={m.copyFailed} />
          </div>
          <div className="mfa-row">
            <input
              id={`${id}a`}
              type="checkbox"
              checked={saved}
              onChange={(event) => setSaved(event.target.checked)}
            />
            <label htmlFor={`${id}a`}>{m.acknowledge}</label>
          </div>
          {button(
            m.done,
            () => {
              setClosed(shown);
              setFresh(null);
              setSaved(false);
              // Saved: lists of factors and codes left may show the new state now.
              if (codes) void invalidate(client);
              onDone?.();
            },
            true,
            !saved,
          )}
        </>
      ) : (
        <>
          <p role="status">{failed ? m.failed : null}</p>
          {button(m.regenerate, regenerate, true, busy)}
        </>
      )}
    </section>
  );
}
