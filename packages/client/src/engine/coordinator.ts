import { type SingleFlight, singleFlight } from "./singleFlight";

/**
 * Decides who runs a task that many callers may need at once (the token refresh, the session
 * refresh, the challenge prompt): `flight(name, task)` gives a {@link SingleFlight} of `task`.
 *
 * The default, {@link localCoordinator}, shares a run among the callers of this client only. A
 * coordinator for the tabs of one origin gives the same interface: its flight takes a Web Lock
 * named `name` before running `task`, and a tab that finds the lock held waits for the holder's
 * outcome on a BroadcastChannel instead of running `task` itself.
 */
export interface Coordinator {
  flight<A, T>(name: string, task: (arg: A) => Promise<T>): SingleFlight<A, T>;
}

/** One run at a time within this client. */
export const localCoordinator: Coordinator = {
  flight: (_name, task) => singleFlight(task),
};
