import { fromBase64 } from "../crypto/encoding";
import type { MfaServerOptions } from "../options";
import { createMfaServer } from "../server";
import { isLoopback, MAX_RETRY_WINDOW_MS, RETRY_WINDOW_MS } from "../webhooks/dispatcher";

/** The verdict of one checklist row. */
type DoctorStatus = "pass" | "warn" | "fail";

/** One row of the pre-launch checklist. */
export interface DoctorRow {
  /** What is checked, e.g. `"encryption keys"`. */
  check: string;
  status: DoctorStatus;
  /** Why, in a sentence. */
  reason: string;
}

const MIN = 60_000;
const row = (check: string, status: DoctorStatus, reason: string): DoctorRow => ({
  check,
  status,
  reason,
});

function keys(o: MfaServerOptions): DoctorRow {
  const name = "encryption keys (AES-256)";
  const k = o.encryptionKeys;
  if (!k) {
    return row(
      name,
      "fail",
      "no encryptionKeys: secrets would be sealed with a random per-process key, lost on restart",
    );
  }
  const entries = Object.entries(k.keys ?? {});
  const bad = entries.filter(
    ([, v]) => (typeof v === "string" ? fromBase64(v.trim()) : null)?.length !== 32,
  );
  if (entries.length === 0 || bad.length > 0) {
    return row(
      name,
      "fail",
      `key${bad.length === 1 ? "" : "s"} ${bad.map(([id]) => id).join(", ") || "(none)"} not 32 bytes of base64`,
    );
  }
  if (!Object.hasOwn(k.keys, k.current)) {
    return row(name, "fail", `the current key id "${k.current}" is not among the keys`);
  }
  return row(
    name,
    "pass",
    `${entries.length} key${entries.length === 1 ? "" : "s"} of 32 bytes, current "${k.current}"`,
  );
}

function backupMethods(o: MfaServerOptions): DoctorRow {
  const name = "two backup methods";
  const codes = (o.backupCodeCount ?? 10) >= 1;
  const second = [
    o.webauthn ? "security keys / passkeys" : null,
    o.otp?.send ? "SMS / e-mail codes" : null,
  ].filter((x): x is string => x !== null);
  if (codes && second.length > 0) {
    return row(
      name,
      "pass",
      `backup codes and ${second.join(" and ")} besides the authenticator app`,
    );
  }
  if (codes) {
    return row(
      name,
      "warn",
      "only backup codes besides the authenticator app: offer WebAuthn (`webauthn`) or SMS / e-mail (`otp.send`) too",
    );
  }
  return row(name, "fail", "no backup codes (backupCodeCount < 1)");
}

function lockout(o: MfaServerOptions): DoctorRow {
  const name = "lockout";
  const max = o.limits?.maxFailures ?? 3;
  const windowMs = o.limits?.windowMs ?? 5 * MIN;
  const locks = o.limits?.lockoutsMs ?? [30_000, 60_000, 120_000, 300_000];
  const summary = `${max} failures in ${windowMs / MIN} min, locks ${locks.map((ms) => `${ms / 1000} s`).join(", ")}`;
  if (max > 5 || windowMs < MIN || locks.every((ms) => ms <= 0)) {
    return row(name, "fail", `${summary}: guessing is barely limited (the checklist: 3 in 5 min)`);
  }
  const progressive =
    locks.length > 1 &&
    locks.every((ms, i) => i === 0 || ms >= locks[i - 1]!) &&
    locks.at(-1)! > locks[0]!;
  if (max > 3 || windowMs < 5 * MIN || !progressive) {
    return row(
      name,
      "warn",
      `${summary}: the checklist asks for 3 in 5 min with progressive backoff`,
    );
  }
  return row(name, "pass", summary);
}

function codeLifetime(o: MfaServerOptions): DoctorRow {
  const name = "code lifetimes";
  const ttl = o.otp?.ttlMs ?? 10 * MIN;
  const text = `SMS / e-mail codes live ${ttl / MIN} min`;
  if (ttl > 10 * MIN)
    return row(name, "fail", `${text}: more than 10 min gives guesses and leaks time`);
  if (ttl < 5 * MIN) return row(name, "warn", `${text}: under 5 min, slow deliveries will expire`);
  return row(name, "pass", `${text} (5-10 min)`);
}

function events(o: MfaServerOptions): DoctorRow {
  const name = "events delivered";
  const hooks = o.webhooks?.length ?? 0;
  if (hooks > 0)
    return row(
      name,
      "pass",
      `${hooks} webhook endpoint${hooks === 1 ? "" : "s"}${o.onEvent ? " and a listener" : ""}`,
    );
  if (o.onEvent)
    return row(
      name,
      "pass",
      "an onEvent listener (in process: add a webhook for delivery that survives a crash)",
    );
  return row(
    name,
    "fail",
    "no webhooks and no onEvent: locks and backup-code use would alert nobody",
  );
}

function retryWindow(o: MfaServerOptions): DoctorRow {
  const name = "retry window";
  const windows = (o.webhooks ?? []).map((w) => w.retryWindowMs ?? RETRY_WINDOW_MS);
  if (windows.length === 0) return row(name, "pass", "no webhooks to retry");
  const longest = Math.max(...windows);
  if (longest > MAX_RETRY_WINDOW_MS)
    return row(name, "fail", `${longest / MIN} min is more than 4 h`);
  return row(name, "pass", `up to ${longest / MIN} min (at most 4 h)`);
}

function origins(o: MfaServerOptions): DoctorRow {
  const name = "https origins";
  const urls = [
    ...(o.webauthn ? [o.webauthn.origin].flat() : []),
    ...(o.webhooks ?? []).map((w) => w.url),
  ];
  const plain = urls.filter((u) => {
    try {
      const url = new URL(u);
      return url.protocol !== "https:" && !isLoopback(url.hostname);
    } catch {
      return true;
    }
  });
  if (plain.length > 0) return row(name, "fail", `not https: ${plain.join(", ")}`);
  return row(
    name,
    "pass",
    urls.length === 0
      ? "no origins configured"
      : `${urls.length} https (or localhost) origin${urls.length === 1 ? "" : "s"}`,
  );
}

function demoControls(o: MfaServerOptions, realNow: number): DoctorRow {
  const name = "demo controls off";
  if (o.now) {
    const off = o.now() - realNow;
    if (Math.abs(off) > 1_000) {
      return row(
        name,
        "fail",
        `the clock (\`now\`) is ${Math.round(off / 1000)} s off the real time: a demo's skew control?`,
      );
    }
    return row(name, "warn", "a custom clock (`now`): production should use Date.now");
  }
  if (!o.store)
    return row(name, "warn", "the default memory store: one instance only, state lost on restart");
  return row(name, "pass", "real clock and a shared store");
}

/**
 * The pre-launch checklist for a `createMfaServer` options object: one row per item (keys, backup
 * methods, lockout, code lifetimes, event delivery, retry window, https origins, demo controls),
 * plus whether `createMfaServer` accepts the options at all.
 */
export function runDoctor(
  options: MfaServerOptions,
  realNow: () => number = Date.now,
): DoctorRow[] {
  const o = (options ?? {}) as MfaServerOptions;
  let accepted: DoctorRow;
  try {
    const mfa = createMfaServer(o);
    mfa.webhooks?.close();
    mfa.clockCheck?.close();
    accepted = row("options accepted", "pass", "createMfaServer accepts them");
  } catch (error) {
    accepted = row(
      "options accepted",
      "fail",
      error instanceof Error ? error.message : String(error),
    );
  }
  return [
    accepted,
    keys(o),
    backupMethods(o),
    lockout(o),
    codeLifetime(o),
    events(o),
    retryWindow(o),
    origins(o),
    demoControls(o, realNow()),
  ];
}

/** The rows as the command prints them: `PASS  check  reason`, one line each. */
export function formatDoctor(rows: DoctorRow[]): string {
  const width = Math.max(...rows.map((r) => r.check.length));
  return rows
    .map((r) => `${r.status.toUpperCase().padEnd(4)}  ${r.check.padEnd(width)}  ${r.reason}`)
    .join("\n");
}
