/** "1 min 5 s", "42 s", "2 h 3 min" for a duration in milliseconds (whole seconds, rounded down). */
export function formatDuration(ms: number): string {
  const total = Math.max(0, Math.floor(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  if (h > 0) return `${h} h ${m} min`;
  if (m > 0) return `${m} min ${s} s`;
  return `${s} s`;
}

/** A clock time for people, in the viewer's locale: "14:05:09". */
export function formatTime(epochMs: number): string {
  return new Date(epochMs).toLocaleTimeString(undefined, { hour12: false });
}

/** "25.00 EUR". */
export function formatMoney(amount: number, currency = "EUR"): string {
  return `${amount.toFixed(2)} ${currency}`;
}

/** A measured clock offset for people, to the nearest second: "6 min 0 s ahead", "in sync". */
export function formatClockOffset(offsetMs: number, ahead = "ahead", behind = "behind"): string {
  const rounded = Math.round(Math.abs(offsetMs) / 1000) * 1000;
  if (rounded === 0) return "in sync";
  return `${formatDuration(rounded)} ${offsetMs > 0 ? ahead : behind}`;
}
