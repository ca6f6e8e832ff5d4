import { useMfa } from "@mfa-kit/react";
import { type FormEvent, useCallback, useEffect, useId, useState } from "react";
import { DEMO_DEVICES, type DemoDevice, formatSkew } from "../api/demoRoutes";
import type { DemoState } from "../app/demoControlsClient";
import { useDemo } from "./demoContext";
import { TextField } from "./fields";
import { formatClockOffset, formatTime } from "./format";
import { useNow } from "./useNow";

const SKEWS = [
  { label: "2 min behind", ms: -120_000 },
  { label: "45 s behind", ms: -45_000 },
  { label: "On time", ms: 0 },
  { label: "45 s ahead", ms: 45_000 },
  { label: "2 min ahead", ms: 120_000 },
  { label: "6 min ahead (past max_age)", ms: 360_000 },
  { label: "1 h ahead", ms: 3_600_000 },
];

/** Skews the demo server's clock and makes it answer 429/503, to watch the client cope. */
export function DemoControlsPanel() {
  const { controls } = useDemo();
  const { clockOffsetMs } = useMfa();
  const id = useId();
  const now = useNow();
  const [state, setState] = useState<DemoState | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [status, setStatus] = useState<429 | 503>(503);
  const [count, setCount] = useState(2);
  const [retryAfter, setRetryAfter] = useState(2);

  const apply = useCallback(async (task: () => Promise<DemoState>) => {
    setError(null);
    try {
      setState(await task());
    } catch (failure) {
      setError((failure as Error).message);
    }
  }, []);

  useEffect(() => {
    void apply(() => controls.state());
  }, [apply, controls]);

  // The armed fault counts down as calls consume it: read it again now and then.
  useEffect(() => {
    if (!state?.fault) return;
    const timer = setInterval(() => void apply(() => controls.state()), 1000);
    return () => clearInterval(timer);
  }, [apply, controls, state?.fault]);

  const arm = (event: FormEvent) => {
    event.preventDefault();
    void apply(() => controls.armFault({ status, retryAfterSeconds: retryAfter }, count));
  };

  return (
    <section className="card" aria-labelledby={`${id}h`}>
      <h2 id={`${id}h`}>Demo controls</h2>
      <h3>Server clock</h3>
      <div className="field">
        <label htmlFor={`${id}skew`}>Skew the server clock</label>
        <select
          id={`${id}skew`}
          value={state?.skewMs ?? 0}
          onChange={(e) => void apply(() => controls.setClockSkew(Number(e.target.value)))}
        >
          {SKEWS.map((s) => (
            <option key={s.ms} value={s.ms}>
              {s.label}
            </option>
          ))}
        </select>
      </div>
      <dl className="facts small">
        <dt>Server time</dt>
        <dd>{formatTime(now + (state?.skewMs ?? 0))}</dd>
        <dt>Server clock</dt>
        <dd>{state ? (state.skewMs === 0 ? "on time" : formatSkew(state.skewMs)) : "…"}</dd>
        <dt>Client measured</dt>
        <dd>{formatClockOffset(clockOffsetMs)}</dd>
      </dl>
      <p className="small muted">
        The client reads the server's <code>Date</code> header and corrects its clock. An
        authenticator app cannot: beyond ±30 s its codes stop matching, while{" "}
        <strong>Show current code</strong> follows the server clock.
      </p>
      <h3>Device</h3>
      <div className="field">
        <label htmlFor={`${id}dev`}>Verify from</label>
        <select
          id={`${id}dev`}
          value={state?.device ?? "this-browser"}
          onChange={(e) => void apply(() => controls.setDevice(e.target.value as DemoDevice))}
        >
          {Object.entries(DEMO_DEVICES).map(([value, label]) => (
            <option key={value} value={value}>
              {label}
            </option>
          ))}
        </select>
      </div>
      <p className="small muted">
        The server remembers the devices that passed MFA; the next verification from another one
        raises a <code>device.new</code> event.
      </p>
      <h3>Failures</h3>
      <form onSubmit={arm}>
        <div className="field">
          <label htmlFor={`${id}st`}>Answer</label>
          <select
            id={`${id}st`}
            value={status}
            onChange={(e) => setStatus(Number(e.target.value) as 429 | 503)}
          >
            <option value={503}>503 Service Unavailable</option>
            <option value={429}>429 Too Many Requests</option>
          </select>
        </div>
        <div className="fields two">
          <TextField
            label="Calls"
            type="number"
            min={1}
            max={20}
            value={count}
            onValue={(v) => setCount(Number(v))}
          />
          <TextField
            label="Retry-After (s)"
            type="number"
            min={0}
            max={120}
            value={retryAfter}
            onValue={(v) => setRetryAfter(Number(v))}
          />
        </div>
        <div className="row">
          <button type="submit" className="button">
            Fail the next calls
          </button>
          {state?.fault && (
            <button
              type="button"
              className="button"
              onClick={() => void apply(controls.clearFault)}
            >
              Stop
            </button>
          )}
        </div>
      </form>
      <p role="status" className="small">
        {state?.fault
          ? `${state.fault.remaining} more API call(s) will get ${state.fault.status}.`
          : "Protected API calls are answered normally."}
      </p>
      {error && (
        <p className="alert" role="alert">
          {error}
        </p>
      )}
    </section>
  );
}
