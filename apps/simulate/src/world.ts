import {
  createMfaHandler,
  createMfaServer,
  type MfaEvent,
  type MfaServer,
  requireMfa,
} from "@mfa-kit/server";
import type { Prng } from "./prng";
import { simulationCrypto } from "./simCrypto";
import type { VirtualClock } from "./virtualClock";

/** The simulated API's origin. */
export const ORIGIN = "https://api.simulated.test";

/** The app's protected route: what a signed-in user calls, guarded by the kit. */
export const ACCOUNT_PATH = "/api/account";

/** The access token of `userId` (the app's primary sign-in, assumed done). */
export const accessToken = (userId: string) => `access.${userId}`;

/** How the network between one actor and the API behaves. */
export interface NetworkProfile {
  /** One-way latency in milliseconds, drawn per message. */
  latencyMs: (random: Prng) => number;
  /** Share of requests answered `503` + `Retry-After: 1` by the edge (never reaching the kit). */
  edgeUnavailable: number;
  /** Share of answers lost on the way back (the kit did the work; the client times out). */
  lostAnswers: number;
}

/** A phone or laptop on a mobile or home network: tens of ms, sometimes seconds, rare faults. */
export const USER_NETWORK: NetworkProfile = {
  latencyMs: (r) => (r.next() < 0.02 ? r.between(500, 3_000) : 15 + r.between(0, 1) ** 2 * 200),
  edgeUnavailable: 0.005,
  lostAnswers: 0.002,
};

/** An attacker's script next to the API: fast, no faults. */
export const ATTACKER_NETWORK: NetworkProfile = {
  latencyMs: (r) => r.between(2, 20),
  edgeUnavailable: 0,
  lostAnswers: 0,
};

/** The kit on a memory store behind its fetch handler, the app's guarded route and a network. */
export interface World {
  clock: VirtualClock;
  mfa: MfaServer;
  /** A `fetch` to the API over a network of `profile`, drawing from `random`. */
  fetchFor(profile: NetworkProfile, random: Prng): typeof fetch;
  /** Faults the network injected so far: `503`s from the edge, answers lost on the way back. */
  faults: { edgeUnavailable: number; lostAnswers: number };
  /** Subscribes to the kit's events as they are delivered (on the virtual clock). */
  onEvent(listener: (event: MfaEvent, deliveredAt: number) => void): void;
}

/** The kit with its defaults, but the clock, the crypto and `totp.activationWindow` when given. */
export function createWorld(
  clock: VirtualClock,
  random: Prng,
  options: { activationWindow?: number },
): World {
  const listeners: ((event: MfaEvent, deliveredAt: number) => void)[] = [];
  const faults = { edgeUnavailable: 0, lostAnswers: 0 };
  const mfa = createMfaServer({
    issuer: "Simulated",
    accountName: (userId) => `${userId}@simulated.test`,
    now: clock.now,
    crypto: simulationCrypto(random.fork()),
    ...(options.activationWindow !== undefined
      ? { totp: { activationWindow: options.activationWindow } }
      : {}),
    onEvent: (event) => {
      for (const listener of listeners) listener(event, clock.now());
    },
  });
  const authenticate = (req: Request) =>
    /^Bearer access\.(.+)$/.exec(req.headers.get("authorization") ?? "")?.[1] ?? null;
  const handler = createMfaHandler(mfa, { authenticate });
  const guard = requireMfa(mfa, { authenticate });
  const app = async (req: Request): Promise<Response> => {
    const answer = await handler(req);
    if (answer) return answer;
    if (new URL(req.url).pathname !== ACCOUNT_PATH) return new Response(null, { status: 404 });
    const result = await guard(req);
    if (!result.ok) return result.response;
    return Response.json({ userId: result.claims.userId }, { headers: { Date: httpDate(clock) } });
  };

  const fetchFor =
    (profile: NetworkProfile, r: Prng): typeof fetch =>
    (input, init) =>
      new Promise<Response>((resolve, reject) => {
        const signal = init?.signal ?? undefined;
        let settled = false;
        const aborted = () => {
          if (settled) return;
          settled = true;
          reject(new DOMException("The operation was aborted.", "AbortError"));
        };
        if (signal?.aborted) return aborted();
        signal?.addEventListener("abort", aborted, { once: true });
        const request = new Request(input, init);
        const edge = r.next() < profile.edgeUnavailable;
        const lost = !edge && r.next() < profile.lostAnswers;
        if (edge) faults.edgeUnavailable++;
        if (lost) faults.lostAnswers++;
        (async () => {
          await clock.sleep(profile.latencyMs(r));
          const answer = edge
            ? new Response(null, {
                status: 503,
                headers: { "Retry-After": "1", Date: httpDate(clock) },
              })
            : await app(request);
          // A lost answer never arrives: the client's timeout aborts the request.
          if (lost) return;
          await clock.sleep(profile.latencyMs(r));
          if (settled) return;
          settled = true;
          signal?.removeEventListener("abort", aborted);
          resolve(answer);
        })().catch((error: unknown) => {
          if (settled) return;
          settled = true;
          reject(error);
        });
      });

  return {
    clock,
    mfa,
    fetchFor,
    faults,
    onEvent: (listener) => void listeners.push(listener),
  };
}

const httpDate = (clock: VirtualClock) => new Date(clock.now()).toUTCString();
