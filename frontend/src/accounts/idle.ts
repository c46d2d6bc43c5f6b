// The session's idle clock, as the page sees it. The server ends a session left unused for
// `session_idle_seconds` (30 minutes), and says on each answer to a request that used the
// session how long it has left (CMA-Session-Idle-Left); a catalogue read, which uses none,
// keeps nothing alive. Five minutes before the end, the page asks whether the person is still
// there, so that someone writing a long motivation is not logged out under their fingers.
import { reactive } from "vue";
import { onActivity } from "../api/client";

export const WARN_SECONDS = 5 * 60;

export type IdleState = "active" | "warning" | "expired";

/** Where the clock stands, `idleFor` seconds after the last use. */
export function idleState(idleFor: number, idleSeconds: number): IdleState {
  if (idleFor >= idleSeconds) return "expired";
  if (idleFor >= idleSeconds - WARN_SECONDS) return "warning";
  return "active";
}

/** `deadline`: when the server ends the session if nothing uses it (unknown until it says). */
export const idle = reactive({
  deadline: Number.POSITIVE_INFINITY,
  state: "active" as IdleState,
  secondsLeft: 0,
});

/** The server said the session has `secondsLeft` unused from now. */
export function noteUse(secondsLeft: number, now: number = Date.now()): void {
  idle.deadline = now + secondsLeft * 1000;
  idle.state = "active";
}

/** Look at the clock: returns the state, and keeps `idle` up to date for the page. */
export function checkIdle(idleSeconds: number, now: number = Date.now()): IdleState {
  const left = (idle.deadline - now) / 1000;
  idle.state = idleState(idleSeconds - left, idleSeconds);
  idle.secondsLeft = Math.max(0, Math.ceil(left));
  return idle.state;
}

onActivity((secondsLeft) => noteUse(secondsLeft));
