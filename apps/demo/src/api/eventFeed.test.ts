import { afterEach, describe, expect, test, vi } from "vitest";
import { createEventFeed } from "./eventFeed";

afterEach(() => {
  vi.useRealTimers();
});

describe("event feed", () => {
  test("shows a user their own events and everyone's, never another user's", () => {
    const feed = createEventFeed({ now: () => 1000 });
    feed.publish({ type: "a", severity: "info", message: "for ada", userId: "ada" });
    feed.publish({ type: "b", severity: "info", message: "for bob", userId: "bob" });
    feed.publish({ type: "c", severity: "info", message: "for all" });
    expect(feed.list("ada").map((e) => e.message)).toEqual(["for ada", "for all"]);
    expect(feed.list(undefined).map((e) => e.message)).toEqual(["for all"]);
    expect(feed.list("ada", 1).map((e) => e.seq)).toEqual([3]);
  });

  test("a waiting reader wakes up when an event for it arrives", async () => {
    vi.useFakeTimers();
    const feed = createEventFeed();
    const waiting = feed.wait("ada", 0, 10_000);
    feed.publish({ type: "x", severity: "info", message: "for bob", userId: "bob" });
    await vi.advanceTimersByTimeAsync(1000);
    feed.publish({ type: "y", severity: "warning", message: "for ada", userId: "ada" });
    expect((await waiting).map((e) => e.type)).toEqual(["y"]);
  });

  test("a waiting reader gets nothing after the timeout, or when its signal aborts", async () => {
    vi.useFakeTimers();
    const feed = createEventFeed();
    const timedOut = feed.wait("ada", 0, 5_000);
    await vi.advanceTimersByTimeAsync(5_000);
    expect(await timedOut).toEqual([]);
    const abort = new AbortController();
    const aborted = feed.wait("ada", 0, 5_000, abort.signal);
    abort.abort();
    expect(await aborted).toEqual([]);
  });

  test("keeps only the newest events", () => {
    const feed = createEventFeed({ capacity: 2 });
    for (const type of ["a", "b", "c"]) feed.publish({ type, severity: "info", message: type });
    expect(feed.list(undefined).map((e) => e.type)).toEqual(["b", "c"]);
    expect(feed.lastSeq).toBe(3);
  });
});
