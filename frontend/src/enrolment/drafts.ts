// What a learner typed for a course (situation, level, motivation) before adding it to the
// basket: kept in the page's memory, so that a session that ended meanwhile loses none of it
// (after logging in again, the course page shows it back). Nothing is written to the browser.
import { reactive } from "vue";

export interface Draft {
  priority_situation: string;
  previous_level: string;
  motivation: string;
}

const drafts = reactive<Record<string, Draft>>({});

/** The draft of a course's answers, the same object each time the page is opened. */
export function draftFor(code: string): Draft {
  drafts[code] ??= { priority_situation: "", previous_level: "", motivation: "" };
  return drafts[code];
}

/** Sent: nothing left to keep. */
export function dropDraft(code: string): void {
  delete drafts[code];
}
