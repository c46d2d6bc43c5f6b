// The typed client of the CMA API, generated from openapi/openapi.json (`make openapi`).
// Sessions ride in the HttpOnly cookie; unsafe requests echo the CSRF cookie in a header.
import createClient, { type Middleware } from "openapi-fetch";
import type { components, paths } from "./schema";

export type Schemas = components["schemas"];

const UNSAFE = new Set(["POST", "PUT", "PATCH", "DELETE"]);
const NETWORK_DETAIL =
  "Impossible de joindre le serveur. Vérifiez votre connexion à Internet et réessayez.";

/** A refusal of the API, from its RFC 9457 problem details. */
export class ApiError extends Error {
  readonly status: number;
  readonly type: string;
  readonly detail: string;
  /** Field name -> French message, for errors the server tied to a field. */
  readonly fieldErrors: Record<string, string>;
  readonly retryAfter: number | null;
  readonly extra: Record<string, unknown>;

  constructor(
    status: number,
    type: string,
    detail: string,
    fieldErrors: Record<string, string> = {},
    retryAfter: number | null = null,
    extra: Record<string, unknown> = {},
  ) {
    super(detail);
    this.name = "ApiError";
    this.status = status;
    this.type = type;
    this.detail = detail;
    this.fieldErrors = fieldErrors;
    this.retryAfter = retryAfter;
    this.extra = extra;
  }

  /** The last part of the problem type, e.g. "invalid-credentials". */
  get code(): string {
    return this.type.split(":").pop() ?? this.type;
  }
}

export function readCookie(name: string, cookies: string): string | null {
  for (const part of cookies.split(";")) {
    const [key, ...value] = part.trim().split("=");
    if (key === name) return decodeURIComponent(value.join("="));
  }
  return null;
}

export function csrfMiddleware(cookies: () => string): Middleware {
  return {
    onRequest({ request }) {
      if (UNSAFE.has(request.method)) {
        const token = readCookie("cma_csrf", cookies());
        if (token) request.headers.set("X-CSRF-Token", token);
      }
      return request;
    },
  };
}

/** Turn any failed response into an ApiError, whatever its body. */
export function toApiError(response: Response, body: unknown): ApiError {
  const retry = Number(response.headers.get("Retry-After"));
  const retryAfter = Number.isFinite(retry) && retry > 0 ? retry : null;
  if (body && typeof body === "object" && "detail" in body && typeof body.detail === "string") {
    const problem = body as {
      type?: unknown;
      detail: string;
      errors?: unknown;
      [key: string]: unknown;
    };
    const fieldErrors: Record<string, string> = {};
    if (Array.isArray(problem.errors)) {
      for (const error of problem.errors) {
        if (error && typeof error.field === "string" && typeof error.message === "string") {
          fieldErrors[error.field] ??= error.message;
        }
      }
    }
    const { type, detail, errors: _errors, title: _t, status: _s, instance: _i, ...extra } =
      problem;
    return new ApiError(
      response.status,
      typeof type === "string" ? type : "about:blank",
      detail,
      fieldErrors,
      retryAfter,
      extra,
    );
  }
  const detail =
    response.status >= 500
      ? "Le service est momentanément indisponible. Veuillez réessayer dans quelques instants."
      : "La demande n'a pas pu aboutir.";
  return new ApiError(response.status, "about:blank", detail, {}, retryAfter);
}

/** Calls `onLost` when the server says the session is gone (expired, revoked elsewhere):
 *  a 401 `not-authenticated` problem. Other 401s (a wrong password) are answers, and so is
 *  who-am-I's, asked precisely to know whether there is a session. */
export function sessionLostMiddleware(onLost: () => void): Middleware {
  return {
    async onResponse({ request, response }) {
      if (response.status !== 401 || new URL(request.url).pathname === "/api/v1/me") return response;
      const problem = (await response.clone().json().catch(() => null)) as { type?: string } | null;
      if (problem?.type === "urn:cma:problem:not-authenticated") onLost();
      return response;
    },
  };
}

/** Calls `onActive` with what the server says the session has left unused, on every answer
 *  to a request that used the session (its idle clock started again there). Other answers
 *  (the catalogue, read without a session) keep nothing alive and say nothing. */
export function activityMiddleware(onActive: (secondsLeft: number) => void): Middleware {
  return {
    onResponse({ response }) {
      const left = response.headers.get("CMA-Session-Idle-Left");
      if (left !== null && /^[0-9]+$/.test(left)) onActive(Number(left));
      return response;
    },
  };
}

let sessionLost: () => void = () => undefined;
let active: (secondsLeft: number) => void = () => undefined;

/** The session's idle clock registers what to do on each answer that used the session. */
export function onActivity(handler: (secondsLeft: number) => void): void {
  active = handler;
}

/** The router registers what to do when the session is lost. */
export function onSessionLost(handler: () => void): void {
  sessionLost = handler;
}

/** A server that says it is busy (503 with Retry-After) did nothing with the request: ask
 *  again after the time it says, a little more or less for each person so that everybody
 *  does not come back at once, twice at most; then its answer is shown ("très sollicité"). */
export function retryWhenBusy(
  base: typeof fetch,
  wait: (ms: number) => Promise<void> = (ms) => new Promise((done) => setTimeout(done, ms)),
  jitter: () => number = Math.random,
  retries = 2,
): typeof fetch {
  return (async (input: RequestInfo | URL, init?: RequestInit) => {
    const original = input instanceof Request ? input : new Request(input, init);
    for (let attempt = 0; ; attempt++) {
      const response = await base(original.clone());
      const after = Number(response.headers.get("Retry-After"));
      if (response.status !== 503 || attempt >= retries || !(after > 0) || after > 10) {
        return response;
      }
      await wait(after * 1000 * (0.75 + jitter() * 0.5));
    }
  }) as typeof fetch;
}

export function createApi(
  options: {
    fetch?: typeof fetch;
    baseUrl?: string;
    cookies?: () => string;
    wait?: (ms: number) => Promise<void>;
  } = {},
) {
  const client = createClient<paths>({
    baseUrl: options.baseUrl ?? "",
    credentials: "same-origin",
    fetch: retryWhenBusy(options.fetch ?? ((input, init) => fetch(input, init)), options.wait),
  });
  client.use(csrfMiddleware(options.cookies ?? (() => document.cookie)));
  client.use(sessionLostMiddleware(() => sessionLost()));
  client.use(activityMiddleware((secondsLeft) => active(secondsLeft)));
  return client;
}

type Result<T> = { data?: T; error?: unknown; response: Response };

/** Await an API call: its data, or an ApiError (network failures included). */
export async function call<T>(request: Promise<Result<T>>): Promise<T> {
  let result: Result<T>;
  try {
    result = await request;
  } catch {
    throw new ApiError(0, "network", NETWORK_DETAIL);
  }
  if (!result.response.ok) throw toApiError(result.response, result.error);
  return result.data as T;
}

export const api = createApi();
