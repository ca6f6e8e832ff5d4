import type { FactorSummary, FactorType } from "@mfa-kit/protocol";
import { type ReactNode, useEffect, useId, useRef, useState } from "react";
import { type FactorsState, useFactors } from "../hooks/useFactors";
import { useMfaContext } from "../mfaContext";
import { BackupCodes, type BackupCodesProps } from "./BackupCodes";
import { useFactorStyles } from "./factorStyles";

/** The texts of {@link FactorList}. */
export interface FactorListMessages {
  title: string;
  loading: string;
  empty: string;
  types: Record<FactorType, string>;
  /** The name a factor is shown by. */
  name: (factor: FactorSummary) => string;
  pending: string;
  added: (date: string) => string;
  lastUsed: (when: string) => string;
  neverUsed: string;
  rename: string;
  renameLabel: (name: string) => string;
  save: string;
  cancel: string;
  renamed: (name: string) => string;
  remove: string;
  confirmRemove: (name: string) => string;
  confirmRemoveLast: (name: string) => string;
  confirm: string;
  keep: string;
  removed: (name: string) => string;
  backupCodes: (left: number) => string;
  backupCodesLow: (left: number) => string;
  regenerate: string;
  emptyName: string;
  failed: string;
}

const TYPES: Record<FactorType, string> = {
  totp: "Authenticator app",
  hotp: "Hardware token",
  sms: "Text message",
  email: "E-mail",
  webauthn: "Security key",
};

const defaults: FactorListMessages = {
  title: "Your sign-in factors",
  loading: "Loading your factors…",
  empty: "You have no second factor yet.",
  types: TYPES,
  name: (f) => f.label ?? f.hint ?? TYPES[f.type],
  pending: "Not confirmed yet",
  added: (date) => `Added ${date}`,
  lastUsed: (when) => `Last used ${when}`,
  neverUsed: "Never used",
  rename: "Rename",
  renameLabel: (name) => `New name for “${name}”`,
  save: "Save",
  cancel: "Cancel",
  renamed: (name) => `Renamed to “${name}”.`,
  remove: "Remove",
  confirmRemove: (name) =>
    `Remove “${name}”? You won't be able to use it to sign in any more. You'll be asked to verify first.`,
  confirmRemoveLast: (name) =>
    `“${name}” is your last factor. Removing it turns off two-step verification for your account and your backup codes stop working. You'll be asked to verify first.`,
  confirm: "Remove",
  keep: "Keep it",
  removed: (name) => `“${name}” was removed.`,
  backupCodes: (left) => `${left} backup code${left === 1 ? "" : "s"} left.`,
  backupCodesLow: (left) =>
    left === 0
      ? "You have no backup codes left: generate new ones so you can still sign in if you lose your factors."
      : `Only ${left} backup code${left === 1 ? "" : "s"} left: generate new ones soon.`,
  regenerate: "Generate new backup codes",
  emptyName: "Enter a name.",
  failed: "That didn't work. Try again.",
};

/** Props of {@link FactorList}. */
export interface FactorListProps {
  /** Warn when this many backup codes or fewer are left. Defaults to 3. */
  lowBackupCodes?: number;
  /** Locale for dates and "5 minutes ago". Defaults to the browser's. */
  locale?: string;
  /** The heading. Defaults to "Your sign-in factors". */
  title?: ReactNode;
  /** Overrides some or all texts. Defaults to English. */
  messages?: Partial<FactorListMessages>;
  /** Props for the new backup codes shown after regenerating. Defaults to none. */
  backupCodes?: Omit<BackupCodesProps, "codes" | "onDone">;
  /** Class of the panel. Defaults to `"mfa-panel"`. */
  className?: string;
}

const UNITS: [Intl.RelativeTimeFormatUnit, number][] = [
  ["year", 31_536_000_000],
  ["month", 2_592_000_000],
  ["day", 86_400_000],
  ["hour", 3_600_000],
  ["minute", 60_000],
  ["second", 1000],
];

/** "5 minutes ago" for `at`, both on the server's clock. */
function ago(at: number, now: number, locale?: string): string {
  const diff = at - now;
  const [unit, ms] = UNITS.find(([, size]) => Math.abs(diff) >= size) ?? UNITS[5]!;
  return new Intl.RelativeTimeFormat(locale, { numeric: "auto" }).format(
    Math.round(diff / ms),
    unit,
  );
}

type Mode = { factorId: string; kind: "rename" | "remove" } | null;

/**
 * The user's factors: name, type, when added and last used (on the server's clock), backup codes
 * left with a warning when few are, and regenerate, rename and remove (with a confirmation that
 * says what removing the last factor means). Removing and regenerating need a fresh verification:
 * mount `<StepUpModal />` (or a prompt of your own) to answer it. Shares its list with every other
 * `useFactors()` reader and stays current after verifications and changes.
 */
export function FactorList({
  lowBackupCodes = 3,
  locale,
  title,
  messages,
  backupCodes,
  className = "mfa-panel",
}: FactorListProps) {
  const { client } = useMfaContext("<FactorList>");
  const state = useFactors();
  useFactorStyles();
  const m = { ...defaults, ...messages };
  const id = useId();
  const [mode, setMode] = useState<Mode>(null);
  const [status, setStatus] = useState<string | null>(null);
  const [codes, setCodes] = useState<string[] | null>(null);
  const heading = useRef<HTMLHeadingElement>(null);
  const active = state.factors.filter((f) => f.status === "active");
  const left = state.backupCodesRemaining;
  const date = new Intl.DateTimeFormat(locale, { dateStyle: "medium" });
  const now = client.clock.now();

  const act = async (work: () => Promise<string | null>) => {
    setStatus(null);
    const text = await work();
    if (text) setStatus(text);
  };

  if (codes) {
    return (
      <BackupCodes
        {...backupCodes}
        codes={codes}
        onDone={() => {
          setCodes(null);
          requestAnimationFrame(() => heading.current?.focus());
        }}
      />
    );
  }

  return (
    <section className={className} aria-labelledby={id} aria-busy={state.loading}>
      <h2 id={id} ref={heading} tabIndex={-1} className="mfa-title">
        {title ?? m.title}
      </h2>
      {state.error && (
        <p className="mfa-alert" role="alert">
          {m.failed}
        </p>
      )}
      <p role="status">{state.loading && !state.factors.length ? m.loading : status}</p>
      {!state.loading && !state.factors.length && !state.error && <p>{m.empty}</p>}
      <ul className="mfa-factors" aria-labelledby={id}>
        {state.factors.map((factor) => (
          <FactorItem
            key={factor.id}
            factor={factor}
            last={active.length === 1 && factor.status === "active"}
            mode={mode?.factorId === factor.id ? mode.kind : null}
            setMode={(kind) => setMode(kind && { factorId: factor.id, kind })}
            state={state}
            m={m}
            date={date}
            when={(at) => ago(at, now, locale)}
            act={act}
            onRemoved={() => heading.current?.focus()}
          />
        ))}
      </ul>
      {left !== null && active.length > 0 && (
        <div className="mfa-field">
          <p className={left <= lowBackupCodes ? "mfa-warning" : undefined}>
            {m.backupCodes(left)} {left <= lowBackupCodes && m.backupCodesLow(left)}
          </p>
          <div className="mfa-row">
            <button
              type="button"
              className="mfa-button"
              aria-disabled={state.busy || undefined}
              onClick={() =>
                !state.busy &&
                void act(async () => {
                  setCodes(await state.regenerateBackupCodes());
                  return null;
                })
              }
            >
              {m.regenerate}
            </button>
          </div>
        </div>
      )}
    </section>
  );
}

interface ItemProps {
  factor: FactorSummary;
  last: boolean;
  mode: "rename" | "remove" | null;
  setMode(kind: "rename" | "remove" | null): void;
  state: FactorsState;
  m: FactorListMessages;
  date: Intl.DateTimeFormat;
  when(at: number): string;
  act(work: () => Promise<string | null>): Promise<void>;
  onRemoved(): void;
}

function FactorItem({
  factor,
  last,
  mode,
  setMode,
  state,
  m,
  date,
  when,
  act,
  onRemoved,
}: ItemProps) {
  const id = useId();
  const name = m.name(factor);
  const [draft, setDraft] = useState(name);
  const [empty, setEmpty] = useState(false);
  const input = useRef<HTMLInputElement>(null);
  const keep = useRef<HTMLButtonElement>(null);
  const renameButton = useRef<HTMLButtonElement>(null);
  const removeButton = useRef<HTMLButtonElement>(null);
  const back = useRef<"rename" | "remove" | null>(null);

  // Focus goes into what opened, and back to the button that opened it when it closes.
  useEffect(() => {
    if (mode === "rename") {
      input.current?.focus();
      input.current?.select();
    } else if (mode === "remove") keep.current?.focus();
    else if (back.current)
      (back.current === "rename" ? renameButton : removeButton).current?.focus();
    back.current = mode;
  }, [mode]);

  const close = () => setMode(null);
  const onKeyDown = (event: { key: string; preventDefault(): void }) => {
    if (event.key === "Escape") {
      event.preventDefault();
      close();
    }
  };

  return (
    <li className="mfa-factor">
      <strong>{name}</strong>{" "}
      <span className="mfa-muted">
        {/* The type and the masked contact, unless the name says them already. */}
        {[m.types[factor.type], factor.hint].filter((t) => t && t !== name).join(" · ")}
      </span>
      <br />
      <span className="mfa-muted">
        {factor.status === "pending" ? (
          m.pending
        ) : (
          <>
            {m.added(date.format(factor.createdAt))} ·{" "}
            {factor.lastUsedAt ? (
              <time dateTime={new Date(factor.lastUsedAt).toISOString()}>
                {m.lastUsed(when(factor.lastUsedAt))}
              </time>
            ) : (
              m.neverUsed
            )}
          </>
        )}
      </span>
      {mode === "rename" ? (
        <form
          noValidate
          onKeyDown={onKeyDown}
          onSubmit={(event) => {
            event.preventDefault();
            const label = draft.trim();
            if (!label) {
              setEmpty(true);
              input.current?.focus();
              return;
            }
            void act(async () => {
              if (label === name) {
                close();
                return null;
              }
              const ok = await state.rename(factor.id, label);
              if (ok) close();
              return ok ? m.renamed(label) : null;
            });
          }}
        >
          <div className="mfa-field">
            <label htmlFor={`${id}r`}>{m.renameLabel(name)}</label>
            <input
              ref={input}
              id={`${id}r`}
              className="mfa-input"
              value={draft}
              maxLength={64}
              aria-invalid={empty || undefined}
              aria-describedby={empty ? `${id}x` : undefined}
              onChange={(event) => {
                setDraft(event.target.value);
                setEmpty(false);
              }}
            />
            {empty && (
              <span id={`${id}x`} className="mfa-alert">
                {m.emptyName}
              </span>
            )}
          </div>
          <div className="mfa-row">
            <button
              type="submit"
              className="mfa-button mfa-primary"
              aria-disabled={state.busy || undefined}
            >
              {m.save}
            </button>
            <button type="button" className="mfa-button" onClick={close}>
              {m.cancel}
            </button>
          </div>
        </form>
      ) : mode === "remove" ? (
        <fieldset className="mfa-confirm" onKeyDown={onKeyDown}>
          <legend className={last ? "mfa-warning" : undefined}>
            {last ? m.confirmRemoveLast(name) : m.confirmRemove(name)}
          </legend>
          <div className="mfa-row">
            <button
              type="button"
              className="mfa-button mfa-danger"
              aria-disabled={state.busy || undefined}
              onClick={() =>
                !state.busy &&
                void act(async () => {
                  const ok = await state.remove(factor.id);
                  if (!ok) return null;
                  back.current = null;
                  onRemoved();
                  return m.removed(name);
                })
              }
            >
              {m.confirm}
            </button>
            <button ref={keep} type="button" className="mfa-button" onClick={close}>
              {m.keep}
            </button>
          </div>
        </fieldset>
      ) : (
        <div className="mfa-row">
          {factor.status === "active" && (
            <button
              ref={renameButton}
              type="button"
              className="mfa-button"
              aria-label={`${m.rename} “${name}”`}
              onClick={() => {
                setDraft(name);
                setEmpty(false);
                setMode("rename");
              }}
            >
              {m.rename}
            </button>
          )}
          <button
            ref={removeButton}
            type="button"
            className="mfa-button"
            aria-label={`${m.remove} “${name}”`}
            onClick={() => setMode("remove")}
          >
            {m.remove}
          </button>
        </div>
      )}
    </li>
  );
}
