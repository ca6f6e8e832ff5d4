import { useId, useSyncExternalStore } from "react";
import { useDemo } from "./demoContext";
import { formatTime } from "./format";

/** What the MFA client did: refreshes, retries with their waits, step-ups, clock corrections. */
export function ClientActivityPanel() {
  const { activity } = useDemo();
  const id = useId();
  const entries = useSyncExternalStore(
    activity.subscribe,
    activity.getSnapshot,
    activity.getSnapshot,
  );
  return (
    <section className="card" aria-labelledby={`${id}h`}>
      <h2 id={`${id}h`}>Client activity</h2>
      {entries.length === 0 ? (
        <p className="muted small">
          The MFA client's refreshes, retries and step-ups show up here.
        </p>
      ) : (
        // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrollable region (axe scrollable-region-focusable)
        <ul className="list feed" aria-label="Client activity" tabIndex={0}>
          {entries.map((e) => (
            <li key={e.id}>
              <span>{e.text}</span>
              <time dateTime={new Date(e.at).toISOString()}>{formatTime(e.at)}</time>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
