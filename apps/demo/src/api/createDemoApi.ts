import { MfaHeaders } from "@mfa-kit/protocol";
import { formatRateLimit } from "@mfa-kit/protocol/format";
import { createAccountRoutes, type SessionInfo } from "./accountRoutes";
import { type Accounts, createAccounts, type NewUser, type User } from "./accounts";
import { createAuthRoutes } from "./authRoutes";
import { createDemoClock, type DemoClock } from "./demoClock";
import { DemoProblems } from "./demoProblems";
import { createDemoRoutes } from "./demoRoutes";
import { DEMO_USER } from "./demoUser";
import { createEventFeed, type EventFeed } from "./eventFeed";
import { createFaultInjector, type FaultInjector } from "./faultInjector";
import { bearerToken, problemResponse, unauthorized } from "./http";
import { createMfaLayer, type MfaLayerOptions } from "./mfaLayer";
import { randomToken } from "./randomToken";
import { createTotpHelper } from "./totpHelper";
import { createTransferBook } from "./transferBook";

/** Options of {@link createDemoApi}. */
export interface DemoApiOptions {
  /** The real clock the demo's skew is added to. Defaults to `Date.now`. */
  realNow?: () => number;
  /** Lifetime of an access token. Defaults to 60 000 ms, so refreshes show. */
  accessTokenTtlMs?: number;
  /** PBKDF2 iterations of password hashes. Defaults to 100 000. */
  passwordIterations?: number;
  /** Accounts created at start. Defaults to [{@link DEMO_USER}]. */
  users?: NewUser[];
  /** Freshness the sensitive routes demand (`max_age`). Defaults to 300 000 ms. */
  stepUpMaxAgeMs?: number;
  /** Passed to the server kit (its store, for instance). Defaults to an in-memory store. */
  mfa?: MfaLayerOptions;
}

/** The reference API: one `handleRequest` for MSW in the browser, msw/node and `node:http`. */
export interface DemoApi {
  /** Answers any request: never throws, every error is problem+json, every answer has a `Date`. */
  handleRequest(req: Request): Promise<Response>;
  /** Settles once the initial accounts exist. */
  ready: Promise<void>;
  clock: DemoClock;
  faults: FaultInjector;
  events: EventFeed;
  accounts: Accounts;
  /** Resolves once the kit's pending events reached the feed. */
  flushEvents(): Promise<void>;
}

type Method = "GET" | "POST" | "PUT" | "DELETE";

/** Builds the reference API: primary login, the kit's MFA routes, the protected routes, controls. */
export function createDemoApi(options: DemoApiOptions = {}): DemoApi {
  const clock = createDemoClock(options.realNow);
  const now = () => clock.now();
  const events = createEventFeed({ now });
  const faults = createFaultInjector();
  const accounts = createAccounts({
    now,
    ...(options.accessTokenTtlMs !== undefined
      ? { accessTokenTtlMs: options.accessTokenTtlMs }
      : {}),
    ...(options.passwordIterations !== undefined
      ? { passwordIterations: options.passwordIterations }
      : {}),
  });
  const totp = createTotpHelper(now);
  const transfers = createTransferBook({ now, newId: () => `trf_${randomToken(9)}` });
  const mfa = createMfaLayer(
    { now, events, accounts, totp, stepUpMaxAgeMs: options.stepUpMaxAgeMs ?? 300_000 },
    options.mfa,
  );
  const auth = createAuthRoutes(accounts, events);
  const account = createAccountRoutes({ accounts, transfers, events, mfa: mfa.kit });
  const demo = createDemoRoutes({ clock, faults, events, accounts, totp, mfa });

  const ready = (async () => {
    for (const user of options.users ?? [DEMO_USER]) await accounts.createUser(user);
  })();

  const authenticate = (req: Request): User | null => {
    const token = bearerToken(req);
    return token ? accounts.authenticate(token) : null;
  };

  // A protected route: injected faults first (like a gateway), then primary auth, then the MFA
  // guard (`sensitive`: a verification at most `max_age` old).
  const guarded =
    (
      sensitive: boolean,
      handler: (req: Request, user: User, session: SessionInfo) => Promise<Response> | Response,
    ) =>
    async (req: Request) => {
      const fault = faults.take();
      if (fault) {
        const headers: Record<string, string> = {
          [MfaHeaders.retryAfter]: String(fault.retryAfterSeconds),
        };
        if (fault.status === 429) {
          headers[MfaHeaders.rateLimit] = formatRateLimit("default", 0, fault.retryAfterSeconds);
          headers[MfaHeaders.rateLimitPolicy] = '"default";q=100;w=60';
        }
        return problemResponse(
          DemoProblems.injected(fault.status, fault.retryAfterSeconds),
          headers,
        );
      }
      const user = authenticate(req);
      if (!user) return unauthorized(req);
      const guard = await (sensitive ? mfa.requireStepUp(req) : mfa.requireSession(req));
      if (!guard.ok) return guard.response;
      return handler(req, user, guard.session);
    };

  const routes: Record<
    string,
    Partial<Record<Method, (req: Request, url: URL) => Promise<Response> | Response>>
  > = {
    "/api/auth/signin": { POST: auth.signIn },
    "/api/auth/signup": { POST: auth.signUp },
    "/api/auth/refresh": { POST: auth.refresh },
    "/api/auth/signout": { POST: auth.signOut },
    "/api/profile": {
      GET: guarded(false, (_req, user, session) => account.profile(user, session)),
    },
    "/api/transfers": {
      GET: guarded(false, (_req, user) => account.listTransfers(user)),
      POST: guarded(true, account.createTransfer),
    },
    "/api/password": { PUT: guarded(true, account.changePassword) },
    "/demo/state": { GET: demo.state },
    "/demo/clock": { PUT: demo.setClock },
    "/demo/faults": { POST: demo.armFault, DELETE: demo.clearFault },
    "/demo/device": { PUT: demo.setDevice },
    "/demo/totp-codes": { GET: demo.codes },
    "/demo/events": { GET: demo.feed },
  };

  const route = async (req: Request): Promise<Response> => {
    const url = new URL(req.url);
    const methods = routes[url.pathname];
    if (methods) {
      const handler = methods[req.method as Method];
      if (handler) return handler(req, url);
      return problemResponse(DemoProblems.methodNotAllowed(req.method), {
        Allow: Object.keys(methods).join(", "),
      });
    }
    const routed = await mfa.handle(req);
    return routed ?? problemResponse(DemoProblems.notFound(url.pathname));
  };

  return {
    async handleRequest(req) {
      let res: Response;
      try {
        await ready;
        res = await route(req);
      } catch (error) {
        console.error("The demo API failed on", req.method, req.url, error);
        res = problemResponse(DemoProblems.internal());
      }
      // The client corrects its clock from this header, so it always tells the server's time.
      const out = new Response(res.body, res);
      out.headers.set("Date", new Date(clock.now()).toUTCString());
      return out;
    },
    ready,
    clock,
    faults,
    events,
    accounts,
    flushEvents: () => mfa.kit.flushEvents(),
  };
}
