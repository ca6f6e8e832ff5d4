/** `m:ss` for a countdown: 90_000 → "1:30", 4_200 → "0:05" (whole seconds, rounded up). */
export function formatCountdown(ms: number): string {
  const total = Math.max(0, Math.ceil(ms / 1000));
  return `${Math.floor(total / 60)}:${String(total % 60).padStart(2, "0")}`;
}

/** A clock offset for people: 47_400 → "47 s", 300_000 → "5 min". */
export function formatOffset(ms: number): string {
  const seconds = Math.round(Math.abs(ms) / 1000);
  return seconds < 120 ? `${seconds} s` : `${Math.round(seconds / 60)} min`;
}
