// Who is logged in, as the server says (GET /api/v1/me). The session itself is an HttpOnly
// cookie the page never sees; nothing is kept in localStorage.
import { reactive } from "vue";
import { useRouter } from "vue-router";
import { ApiError, api, call, readCookie, type Schemas } from "../api/client";

export type Account = Schemas["MeOut"];

export const session = reactive<{ account: Account | null; loaded: boolean }>({
  account: null,
  loaded: false,
});

export async function loadSession(cookies: () => string = () => document.cookie): Promise<void> {
  // A session always comes with its CSRF cookie (set and cleared together): without it, a
  // visitor is not logged in, and asking the server would only log a 401 in the console.
  if (readCookie("cma_csrf", cookies()) === null) {
    session.account = null;
    session.loaded = true;
    return;
  }
  try {
    session.account = await call(api.GET("/api/v1/me"));
  } catch (error) {
    if (!(error instanceof ApiError) || error.status !== 401) throw error;
    session.account = null;
  } finally {
    session.loaded = true;
  }
}

/** The verification code a login asks for after several failed attempts. */
export interface CaptchaProof {
  captcha_id?: string;
  captcha_answer?: string;
}

export async function logIn(email: string, password: string, proof: CaptchaProof = {}): Promise<void> {
  await call(api.POST("/api/v1/sessions", { body: { email, password, ...proof } }));
  session.account = await call(api.GET("/api/v1/me"));
}

export async function logOut(): Promise<void> {
  try {
    await call(api.DELETE("/api/v1/sessions/current"));
  } catch (error) {
    // Already gone server-side: the outcome the user asked for.
    if (!(error instanceof ApiError) || error.status !== 401) throw error;
  }
  session.account = null;
}

/** "DÉCONNEXION" and "Pour vous déconnecter cliquez sur ce lien": log out, back home. */
export function useLogOut(): () => Promise<void> {
  const router = useRouter();
  return async () => {
    await logOut();
    await router.push("/");
  };
}

export function forget(): void {
  session.account = null;
}
