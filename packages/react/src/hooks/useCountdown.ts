import { useEffect, useState } from "react";

/**
 * Milliseconds left until `until` (epoch ms, local clock), re-rendering once a second until it
 * reaches 0; `null` when there is no deadline.
 */
export function useCountdown(until: number | null | undefined): number | null {
  const [now, setNow] = useState(() => Date.now());
  const left = until == null ? null : Math.max(0, until - now);
  useEffect(() => {
    if (until == null) return;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const tick = () => {
      const current = Date.now();
      setNow(current);
      const remaining = until - current;
      // Wake at the next whole second of the remaining time, so the display never skips one.
      if (remaining > 0) timer = setTimeout(tick, remaining % 1000 || 1000);
    };
    tick();
    return () => clearTimeout(timer);
  }, [until]);
  return left;
}
