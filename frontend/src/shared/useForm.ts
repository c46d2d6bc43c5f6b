// One way for every form: check before sending, show the server's per-field errors beside the
// fields and in a summary at the top (which takes the focus), block double submits.
import { nextTick, reactive, useTemplateRef } from "vue";
import { ApiError } from "../api/client";
import type { Problems } from "./rules";

export interface FormState {
  errors: Problems;
  /** A message for the whole form (not tied to a field), shown in the summary. */
  message: string;
  busy: boolean;
}

export interface SubmitOptions {
  /** Problems found before sending; nothing is sent while there are any. */
  check?: () => Problems;
  /** Field names the server may use, mapped to the ids of the inputs (default: same name). */
  fields?: Record<string, string>;
  /** Called with a refusal before it is shown; return true when it was handled. */
  onError?: (error: ApiError) => boolean | void;
}

/** A busy server (503) did nothing with the form: what was typed, passwords included, stays
 *  for the next try. */
export function keepsInput(error: ApiError): boolean {
  return error.status === 503;
}

/** A refusal of the verification code alone (wrong, expired, or now asked for): the rest of
 *  the form was not judged, and what was typed in it stays. */
export function onlyTheCode(error: ApiError): boolean {
  return error.code.startsWith("captcha-");
}

/** `formRef` names the template ref of the <form>, whose error summary gets the focus. */
export function useForm(formRef = "form") {
  const state = reactive<FormState>({ errors: {}, message: "", busy: false });
  const formEl = useTemplateRef<HTMLFormElement>(formRef);

  async function focusSummary(): Promise<void> {
    await nextTick();
    formEl.value?.querySelector<HTMLElement>(".error-summary")?.focus();
  }

  function clear(): void {
    state.errors = {};
    state.message = "";
  }

  async function submit(send: () => Promise<void>, options: SubmitOptions = {}): Promise<boolean> {
    if (state.busy) return false;
    clear();
    const problems = options.check?.() ?? {};
    if (Object.keys(problems).length) {
      state.errors = problems;
      await focusSummary();
      return false;
    }
    state.busy = true;
    let sent = false;
    try {
      await send();
      sent = true;
      return true;
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      if (options.onError?.(error)) return false;
      state.errors = error.fieldErrors;
      if (!Object.keys(error.fieldErrors).length) state.message = error.detail;
      await focusSummary();
      return false;
    } finally {
      state.busy = false;
      if (sent) await keepFocus();
    }
  }

  /** The submit button was disabled while the form was sent, which drops the focus to the
   *  page's body: give it back, unless the page has moved on (a new page focuses its title). */
  async function keepFocus(): Promise<void> {
    await nextTick();
    const form = formEl.value;
    const lost = !document.activeElement || document.activeElement === document.body;
    if (form?.isConnected && lost) form.querySelector<HTMLElement>("button[type=submit]")?.focus();
  }

  return { state, submit, clear, focusSummary };
}
