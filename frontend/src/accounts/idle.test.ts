import { describe, expect, it } from "vitest";
import { checkIdle, idle, idleState, noteUse } from "./idle";

describe("the session's idle clock", () => {
  it("warns five minutes before the end, then ends", () => {
    expect(idleState(0, 1800)).toBe("active");
    expect(idleState(1499, 1800)).toBe("active");
    expect(idleState(1500, 1800)).toBe("warning");
    expect(idleState(1799, 1800)).toBe("warning");
    expect(idleState(1800, 1800)).toBe("expired");
  });

  it("follows what the server says is left, and counts down from it", () => {
    noteUse(1800, 0);
    expect(checkIdle(1800, 26 * 60 * 1000)).toBe("warning");
    expect(idle.secondsLeft).toBe(4 * 60);
    noteUse(1800, 26 * 60 * 1000);
    expect(checkIdle(1800, 27 * 60 * 1000)).toBe("active");
    // Touched a minute ago on the server: its end is a minute nearer than a fresh one.
    noteUse(1740, 0);
    expect(checkIdle(1800, 1740 * 1000)).toBe("expired");
  });
});
