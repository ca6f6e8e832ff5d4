import axios, { type AxiosInstance } from "axios";
import {
  createMfaClient,
  type MfaClient,
  type MfaClientOptions,
  MfaError,
  oneShot,
} from "../index";
import { ORIGIN } from "./fakeApi";

/** One request as the suite sends it. */
interface SendInit {
  method?: string;
  headers?: Record<string, string>;
  body?: unknown;
  signal?: AbortSignal;
  oneShot?: boolean;
}

/** What came back, whatever the adapter: the status and the parsed body. */
interface Sent {
  status: number;
  body: unknown;
}

/** One way of calling the API through the client: a wrapped axios instance, or `mfa.fetch`. */
export interface AdapterCase {
  name: "axios" | "fetch";
  send(mfa: MfaClient, url: string, init?: SendInit): Promise<Sent>;
}

const instances = new WeakMap<MfaClient, AxiosInstance>();

/** The axios instance of a client, wrapped once. */
const axiosOf = (mfa: MfaClient): AxiosInstance => {
  let api = instances.get(mfa);
  if (!api) {
    api = mfa.wrap(axios.create({ baseURL: ORIGIN }));
    instances.set(mfa, api);
  }
  return api;
};

export const adapterCases: AdapterCase[] = [
  {
    name: "axios",
    async send(mfa, url, { method = "GET", headers, body, signal, oneShot: once } = {}) {
      const config = { url, method, headers, data: body, signal };
      try {
        const res = await axiosOf(mfa).request(once ? oneShot(config) : config);
        return { status: res.status, body: res.data };
      } catch (e) {
        if (e instanceof MfaError || !axios.isAxiosError(e) || !e.response) throw e;
        return { status: e.response.status, body: e.response.data };
      }
    },
  },
  {
    name: "fetch",
    async send(mfa, url, { method = "GET", headers, body, signal, oneShot: once } = {}) {
      const init: RequestInit = {
        method,
        headers: {
          ...(body === undefined ? {} : { "content-type": "application/json" }),
          ...headers,
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal,
      };
      const res = await mfa.fetch(url, once ? oneShot(init) : init);
      return { status: res.status, body: await res.json().catch(() => null) };
    },
  },
];

/** A client for the fake API: token `t1`, origin allowed, no retry jitter unless asked. */
export function client(options: MfaClientOptions = {}): MfaClient {
  return createMfaClient({
    origins: [ORIGIN],
    baseUrl: ORIGIN,
    getAccessToken: () => "t1",
    ...options,
  });
}
