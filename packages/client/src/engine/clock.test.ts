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

  // With sentAt = receivedAt = S and a Date header of D (whole seconds), a sample is D + 500 - S.
  const at = (clock: ReturnType<typeof createClock>, date: number, sent: number, rtt = 0) =>
    clock.sample(dateHeader(date), sent, sent + rtt);

  it("takes the first sample as it is: the middle of the header's second", () => {
    const clock = createClock();
    expect(at(clock, BASE + 10_000, BASE)).toBe(true);
    expect(clock.offsetMs).toBe(10_500);
    const now = Date.now();
    expect(clock.now() - now).toBeGreaterThanOrEqual(10_500);
    expect(clock.now() - now).toBeLessThan(10_500 + 1_000);
  });

  it("moves half way on the second sample, an eighth at most later, and says when it moved", () => {
    const clock = createClock();
    at(clock, BASE, BASE); // 500
    expect(at(clock, BASE + 10_000, BASE + 10_000 - 500)).toBe(true); // sample 1000
    expect(clock.offsetMs).toBe(750);
    expect(at(clock, BASE + 20_000, BASE + 20_000 - 1_250)).toBe(true); // sample 1750: weight 1/3
    expect(clock.offsetMs).toBe(1_083);
    for (let i = 0; i < 10; i++)
      at(clock, BASE + 30_000 + i * 1_000, BASE + 30_000 + i * 1_000 - 583);
    expect(clock.offsetMs).toBe(1_083);
    expect(at(clock, BASE + 50_000, BASE + 50_000 - 583)).toBe(false);
    // past the eighth sample the weight stays 1/8
    at(clock, BASE + 60_000, BASE + 60_000 - 1_383); // sample 1883
    expect(clock.offsetMs).toBe(1_183);
  });

  it("takes a sample more than the round trip's half, half a second and two seconds away as a jump", () => {
    const within = createClock();
    at(within, BASE, BASE); // 500
    at(within, BASE + 10_000, BASE + 10_000 - 2_500); // 3000: 2500 away, smoothed
    expect(within.offsetMs).toBe(1_750);
    const jump = createClock();
    at(jump, BASE, BASE);
    at(jump, BASE + 10_000, BASE + 10_000 - 2_501); // 3001: adopted
    expect(jump.offsetMs).toBe(3_001);
    // a 1 s round trip widens the threshold by half a second
    const slow = createClock();
    at(slow, BASE, BASE);
    slow.sample(dateHeader(BASE + 10_000), BASE + 10_000 - 3_500, BASE + 10_000 - 2_500);
    expect(slow.offsetMs).toBe(571); // smoothed: 500 + 3000 * 1/2 * 50 / 1050
  });

  it("weighs a sample by the shortest round trip seen over its own", () => {
    const clock = createClock();
    at(clock, BASE, BASE - 50, 100); // D + 500 - (S + S + 100) / 2 = 500, round trip 100
    expect(clock.offsetMs).toBe(500);
    // sample 2000 with a round trip of 0, the shortest now: weight 1/2 * (0 + 50) / (0 + 50)
    at(clock, BASE + 10_000, BASE + 10_000 - 1_500);
    expect(clock.offsetMs).toBe(1_250);
    // sample 2700 with a round trip of 150 against the shortest 0: weight 1/3 * 50 / 200
    clock.sample(dateHeader(BASE + 20_000), BASE + 20_000 - 2_275, BASE + 20_000 - 2_125);
    expect(clock.offsetMs).toBe(1_371);
  });

  it("reads a repeated Date header once, and a negative round trip as none", () => {
    const clock = createClock();
    const header = dateHeader(BASE + 5_000);
    clock.sample(header, BASE, BASE);
    expect(clock.offsetMs).toBe(5_500);
    expect(clock.sample(header, BASE + 1_000, BASE + 1_000)).toBe(true);
    expect(clock.offsetMs).toBe(5_000);
    const back = createClock();
    back.sample(dateHeader(BASE), BASE, BASE - 10_000);
    expect(back.offsetMs).toBe(5_500);
  });
});
