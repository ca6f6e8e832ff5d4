import { useEffect, useId, useState } from "react";
import type { CurrentCode } from "../api/totpHelper";
import { useDemo } from "./demoContext";

/**
 * The demo's stand-in for an authenticator app: the current code of each TOTP factor, computed by
 * the demo server on its own (possibly skewed) clock.
 */
export function CurrentCodePanel() {
  const { controls } = useDemo();
  const id = useId();
  const [shown, setShown] = useState(false);
  const [codes, setCodes] = useState<CurrentCode[] | null>(null);
  const [error, setError] = useState<string | null>(null);

  // Read every second while shown: the countdown stays live and a skewed server clock shows at once.
  useEffect(() => {
    if (!shown) return;
    let live = true;
    const load = async () => {
      try {
        const next = await controls.currentCodes();
        if (!live) return;
        setCodes(next);
        setError(null);
      } catch (failure) {
        if (live) setError((failure as Error).message);
      }
    };
    void load();
    const timer = setInterval(load, 1000);
    return () => {
      live = false;
      clearInterval(timer);
    };
  }, [shown, controls]);

  return (
    <section className="card" aria-labelledby={`${id}h`}>
      <h2 id={`${id}h`}>Authenticator stand-in</h2>
      {shown ? (
        <>
          {codes?.length === 0 && <p className="muted">No authenticator app set up yet.</p>}
          <ul className="list" aria-label="Current codes">
            {codes?.map((c) => (
              <li key={c.factorId}>
                <span className="code" data-testid="current-code">
                  {c.code}
                </span>
                <span className="small muted">changes in {c.validForSeconds} s</span>
              </li>
            ))}
          </ul>
          <button type="button" className="button" onClick={() => setShown(false)}>
            Hide code
          </button>
        </>
      ) : (
        <>
          <p className="small muted">
            No authenticator app? The demo server can show the code your app would show.
          </p>
          <button type="button" className="button" onClick={() => setShown(true)}>
            Show current code
          </button>
        </>
      )}
      {error && (
        <p className="alert" role="alert">
          {error}
        </p>
      )}
    </section>
  );
}
