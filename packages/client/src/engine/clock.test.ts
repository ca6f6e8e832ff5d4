import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createClock } from "./clock";

const BASE = Date.UTC(2030, 0, 1);
/** The `Date` header a server whose clock reads `serverMs` sends: whole seconds. */
const dateHeader = (serverMs: number) => new Date(serverMs).toUTCString();

describe("createClock", () => {
  it("puts one sample within half the round trip plus half a second of the true offset", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -86_400_000, max: 86_400_000 }),
        fc.integer({ min: 0, max: 5_000 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (offset, rtt, where) => {
          const clock = createClock();
          const sentAt = BASE;
          const receivedAt = sentAt + rtt;
          // The server stamped its answer somewhere during the round trip.
          const stamped = sentAt + where * rtt + offset;
          clock.sample(dateHeader(stamped), sentAt, receivedAt);
          expect(Math.abs(clock.offsetMs - offset)).toBeLessThanOrEqual(rtt / 2 + 500 + 1);
        },
      ),
    );
  });

  it("smooths samples so the second's rounding averages out", () => {
    const clock = createClock();
    const offset = 12_345;
    for (let i = 0; i < 200; i++) {
      const sentAt = BASE + i * 7_919; // spread over the second
      clock.sample(dateHeader(sentAt + 20 + offset), sentAt, sentAt + 40);
    }
    expect(Math.abs(clock.offsetMs - offset)).toBeLessThan(250);
  });

  it("counts a slow round trip less than a fast one", () => {
    const clock = createClock();
    clock.sample(dateHeader(BASE + 10_000), BASE, BASE + 20);
    const before = clock.offsetMs;
    // A 3 s round trip that suggests 1.5 s more.
    clock.sample(dateHeader(BASE + 1_000 + 10_000 + 1_500), BASE + 1_000, BASE + 4_000);
    expect(Math.abs(clock.offsetMs - before)).toBeLessThan(100);
  });

  it("adopts a clock jump at once", () => {
    const clock = createClock();
    clock.sample(dateHeader(BASE), BASE, BASE);
    clock.sample(dateHeader(BASE + 3_600_000 + 1_000), BASE + 1_000, BASE + 1_000);
    expect(Math.abs(clock.offsetMs - 3_600_000)).toBeLessThanOrEqual(500);
  });

  it("ignores a missing or unreadable Date, and a response without a send time", () => {
    const clock = createClock();
    expect(clock.sample(undefined, BASE, BASE)).toBe(false);
    expect(clock.sample("yesterday-ish", BASE, BASE)).toBe(false);
    expect(clock.sample(dateHeader(BASE + 60_000), 0, BASE)).toBe(false);
    expect(clock.offsetMs).toBe(0);
  });

  it("never throws on arbitrary Date values", () => {
    fc.assert(
      fc.property(fc.string(), fc.nat(), (date, rtt) => {
        const clock = createClock();
        clock.sample(date, BASE, BASE + rtt);
        expect(Number.isFinite(clock.offsetMs)).toBe(true);
      }),
    );
  });
});
