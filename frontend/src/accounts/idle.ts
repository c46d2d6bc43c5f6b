// The session's idle clock, as the page sees it. The server ends a session left unused for
// `session_idle_seconds` (30 minutes); every answer to a request counts as use. Five minutes
// before the end, the page asks whether the person is still there, so that someone writing a
// long motivation is not logged out under their fingers.
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

export const idle = reactive({ lastUse: Date.now(), state: "active" as IdleState, secondsLeft: 0 });

export function noteUse(now: number = Date.now()): void {
  idle.lastUse = now;
  idle.state = "active";
}

/** Look at the clock: returns the state, and keeps `idle` up to date for the page. */
export function checkIdle(idleSeconds: number, now: number = Date.now()): IdleState {
  const idleFor = (now - idle.lastUse) / 1000;
  idle.state = idleState(idleFor, idleSeconds);
  idle.secondsLeft = Math.max(0, Math.ceil(idleSeconds - idleFor));
  return idle.state;
}

onActivity(() => noteUse());
