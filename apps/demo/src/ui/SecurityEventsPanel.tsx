import { useMfa } from "@mfa-kit/react";
import { useEffect, useId, useState } from "react";
import type { DemoEvent } from "../api/eventFeed";
import { useDemo, useUser } from "./demoContext";
import { formatTime } from "./format";

/** How long one events request waits on the server for news, in seconds. */
const WAIT_SECONDS = 8;

/** The server's security events as they happen (long-polled `GET /demo/events`). */
export function SecurityEventsPanel() {
  const { controls } = useDemo();
  const user = useUser();
  const { clockOffsetMs } = useMfa();
  const id = useId();
  const [events, setEvents] = useState<DemoEvent[]>([]);
  const [offline, setOffline] = useState(false);

  // One feed per signed-in user: a new user starts from the beginning.
  // biome-ignore lint/correctness/useExhaustiveDependencies: restarts when the user changes
  useEffect(() => {
    const abort = new AbortController();
    let after = 0;
    setEvents([]);
    const loop = async () => {
      while (!abort.signal.aborted) {
        try {
          const next = await controls.events(after, WAIT_SECONDS, abort.signal);
          setOffline(false);
          if (next.length > 0) {
            after = next[next.length - 1]!.seq;
            setEvents((list) => [...next.reverse(), ...list].slice(0, 100));
          }
        } catch {
          if (abort.signal.aborted) return;
          setOffline(true);
          await new Promise((resolve) => setTimeout(resolve, 2000));
        }
      }
    };
    void loop();
    return () => abort.abort();
  }, [controls, user?.id]);

  return (
    <section className="card" aria-labelledby={`${id}h`}>
      <h2 id={`${id}h`}>Security events</h2>
      {offline && <p className="notice small">Reconnecting to the event feed…</p>}
      {events.length === 0 ? (
        <p className="muted small">
          Nothing yet. Failed codes, locks and new devices show up here.
        </p>
      ) : (
        // Focusable: the list scrolls, and a keyboard must be able to scroll it.
        // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrollable region (axe scrollable-region-focusable)
        <ul className="list feed" aria-label="Security events" aria-live="polite" tabIndex={0}>
          {events.map((e) => (
            <li key={e.seq} data-type={e.type}>
              <span>
                <span className={`badge ${e.severity}`}>{e.type}</span>
              </span>
              <span>{e.message}</span>
              {/* On this device's clock, like every other time on the page. */}
              <time dateTime={new Date(e.at - clockOffsetMs).toISOString()}>
                {formatTime(e.at - clockOffsetMs)}
              </time>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
