import type { DemoDevice } from "../api/demoRoutes";
import type { DemoEvent } from "../api/eventFeed";
import type { ArmedFault, Fault } from "../api/faultInjector";
import type { CurrentCode } from "../api/totpHelper";

/** What `GET /demo/state` answers. */
export interface DemoState {
  /** Epoch milliseconds on the server's clock. */
  serverTime: number;
  skewMs: number;
  fault: ArmedFault | null;
  /** The device verifications pretend to come from. */
  device: DemoDevice;
}

/** The demo's own controls: server clock, injected faults, current codes, the event feed. */
export interface DemoControlsClient {
  state(): Promise<DemoState>;
  setClockSkew(skewMs: number): Promise<DemoState>;
  armFault(fault: Fault, count: number): Promise<DemoState>;
  clearFault(): Promise<DemoState>;
  /** Pretends later verifications come from `device` (a new one raises `device.new`). */
  setDevice(device: DemoDevice): Promise<DemoState>;
  /** The current codes of the signed-in user's TOTP factors, computed on the server's clock. */
  currentCodes(): Promise<CurrentCode[]>;
  /** Events after `after`, waiting up to `waitSeconds` for one when there is none yet. */
  events(after: number, waitSeconds: number, signal?: AbortSignal): Promise<DemoEvent[]>;
}

/** Options of {@link createDemoControlsClient}. */
export interface DemoControlsClientOptions {
  /** Origin of the demo API. */
  baseUrl: string;
  /**
   * The fetch for the signed-in routes (codes, events): the MFA client's, so the access token is
   * attached and refreshed. The anonymous routes use `globalThis.fetch`.
   */
  authedFetch: (input: string, init?: RequestInit) => Promise<Response>;
}

async function read<T>(res: Response): Promise<T> {
  const body: unknown = await res.json().catch(() => null);
  if (!res.ok) {
    const detail =
      body && typeof body === "object" && "detail" in body ? String(body.detail) : res.statusText;
    throw new Error(`The demo server answered ${res.status}: ${detail}`);
  }
  return body as T;
}

/** A client of the `/demo/` routes. */
export function createDemoControlsClient(options: DemoControlsClientOptions): DemoControlsClient {
  const url = (path: string) => new URL(path, options.baseUrl).toString();
  const send = (method: string, path: string, body?: unknown) =>
    fetch(url(path), {
      method,
      headers: body === undefined ? {} : { "Content-Type": "application/json" },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    }).then((res) => read<DemoState>(res));
  return {
    state: () => send("GET", "/demo/state"),
    setClockSkew: (skewMs) => send("PUT", "/demo/clock", { skewMs }),
    armFault: (fault, count) => send("POST", "/demo/faults", { ...fault, count }),
    clearFault: () => send("DELETE", "/demo/faults"),
    setDevice: (device) => send("PUT", "/demo/device", { device }),
    currentCodes: () =>
      options
        .authedFetch(url("/demo/totp-codes"))
        .then((res) => read<{ codes: CurrentCode[] }>(res))
        .then((body) => body.codes),
    events: (after, waitSeconds, signal) =>
      options
        .authedFetch(
          url(`/demo/events?after=${after}&wait=${waitSeconds}`),
          signal ? { signal } : {},
        )
        .then((res) => read<{ events: DemoEvent[] }>(res))
        .then((body) => body.events),
  };
}
