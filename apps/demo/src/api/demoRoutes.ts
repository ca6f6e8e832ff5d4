import type { Accounts, User } from "./accounts";
import type { DemoClock } from "./demoClock";
import type { EventFeed } from "./eventFeed";
import type { FaultInjector } from "./faultInjector";
import { badRequest, bearerToken, json, readJsonObject, unauthorized } from "./http";
import type { MfaLayer } from "./mfaLayer";
import type { TotpHelper } from "./totpHelper";

/** The longest an events request waits for news, in seconds. */
const MAX_EVENTS_WAIT_SECONDS = 25;

/** What the `/demo/` routes work with. */
export interface DemoRoutesContext {
  clock: DemoClock;
  faults: FaultInjector;
  events: EventFeed;
  accounts: Accounts;
  totp: TotpHelper;
  mfa: Pick<MfaLayer, "device">;
}

/** The devices a visitor can pretend to verify from, to see `device.new` events. */
export const DEMO_DEVICES = {
  "this-browser": "This browser",
  "new-phone": "A new phone",
  "new-laptop": "A new laptop",
} as const;

/** One of {@link DEMO_DEVICES}. */
export type DemoDevice = keyof typeof DEMO_DEVICES;

/**
 * The demo's controls, beside the reference API: the server clock's skew, faults to inject, the
 * current TOTP codes ("show current code") and the security-event feed.
 */
export function createDemoRoutes(ctx: DemoRoutesContext) {
  const { clock, faults, events, accounts, totp, mfa } = ctx;

  const state = () =>
    json({
      serverTime: clock.now(),
      skewMs: clock.skewMs,
      fault: faults.armed,
      device: mfa.device,
    });

  const setDevice = async (req: Request) => {
    const read = await readJsonObject(req);
    if (!read.ok) return read.response;
    const { device } = read.body;
    if (typeof device !== "string" || !Object.hasOwn(DEMO_DEVICES, device)) {
      return badRequest(`\`device\` is one of ${Object.keys(DEMO_DEVICES).join(", ")}.`);
    }
    mfa.device = device;
    return state();
  };

  const user = (req: Request): User | null => {
    const token = bearerToken(req);
    return token ? accounts.authenticate(token) : null;
  };

  const setClock = async (req: Request) => {
    const read = await readJsonObject(req);
    if (!read.ok) return read.response;
    const { skewMs } = read.body;
    try {
      clock.setSkew(skewMs as number);
    } catch (error) {
      return badRequest((error as Error).message);
    }
    events.publish({
      type: "demo.clock",
      severity: "info",
      message:
        skewMs === 0
          ? "The server clock is back on time."
          : `The server clock now runs ${formatSkew(skewMs as number)}.`,
      data: { skewMs },
    });
    return state();
  };

  const armFault = async (req: Request) => {
    const read = await readJsonObject(req);
    if (!read.ok) return read.response;
    const { status, count, retryAfterSeconds } = read.body;
    try {
      faults.arm(
        { status: status as 429 | 503, retryAfterSeconds: retryAfterSeconds as number },
        count as number,
      );
    } catch (error) {
      return badRequest((error as Error).message);
    }
    events.publish({
      type: "demo.fault",
      severity: "info",
      message: `The next ${count} API call(s) will answer ${status} with Retry-After: ${retryAfterSeconds}.`,
      data: { status, count, retryAfterSeconds },
    });
    return state();
  };

  const clearFault = () => {
    faults.clear();
    return state();
  };

  const codes = (req: Request) => {
    const u = user(req);
    if (!u) return unauthorized(req);
    return json({ codes: totp.codes(u.id) });
  };

  const feed = async (req: Request, url: URL) => {
    const after = Number(url.searchParams.get("after") ?? "0");
    const wait = Number(url.searchParams.get("wait") ?? "0");
    if (!Number.isInteger(after) || after < 0) return badRequest("`after` is an event number.");
    if (!Number.isFinite(wait) || wait < 0 || wait > MAX_EVENTS_WAIT_SECONDS) {
      return badRequest(`\`wait\` is 0 to ${MAX_EVENTS_WAIT_SECONDS} seconds.`);
    }
    if (req.headers.has("authorization") && !user(req)) return unauthorized(req);
    const userId = user(req)?.id;
    const list = await events.wait(userId, after, wait * 1000, req.signal);
    return json({ events: list, last: events.lastSeq });
  };

  return { state, setClock, armFault, clearFault, setDevice, codes, feed };
}

/** "2 min 30 s ahead", "45 s behind". */
export function formatSkew(skewMs: number): string {
  const total = Math.round(Math.abs(skewMs) / 1000);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const parts = [h && `${h} h`, m && `${m} min`, s && `${s} s`].filter(Boolean);
  return `${parts.join(" ") || "0 s"} ${skewMs >= 0 ? "ahead" : "behind"}`;
}
