// The client's error handling, over a fetch that answers as the server does.
import { describe, expect, it } from "vitest";
import { ApiError, call, createApi, readCookie, toApiError } from "./client";

function answer(status: number, body: unknown, headers: Record<string, string> = {}): typeof fetch {
  const seen: Request[] = [];
  const fake = (async (input: Request) => {
    seen.push(input);
    const text = body === undefined ? null : JSON.stringify(body);
    return new Response(text, {
      status,
      headers: { "Content-Type": "application/problem+json", ...headers },
    });
  }) as unknown as typeof fetch;
  return Object.assign(fake, { seen });
}

describe("problem details become ApiError", () => {
  it("keeps the French detail and the per-field errors", async () => {
    const api = createApi({
      baseUrl: "http://cma.test",
      cookies: () => "",
      fetch: answer(422, {
        type: "urn:cma:problem:validation",
        title: "Données invalides",
        status: 422,
        detail: "Certaines informations saisies sont invalides.",
        errors: [
          { field: "email", location: "body", message: "L'adresse mail n'est pas valide.", code: "value_error" },
          { field: "password", location: "body", message: "Trop court.", code: "value_error" },
        ],
      }),
    });

    const error = await call(api.POST("/api/v1/accounts/activation/resend", { body: { email: "x" } })).catch(
      (e: unknown) => e,
    );

    expect(error).toBeInstanceOf(ApiError);
    const problem = error as ApiError;
    expect(problem.status).toBe(422);
    expect(problem.code).toBe("validation");
    expect(problem.fieldErrors).toEqual({
      email: "L'adresse mail n'est pas valide.",
      password: "Trop court.",
    });
  });

  it("reads Retry-After and the extra members of a problem", () => {
    const error = toApiError(
      new Response(null, { status: 429, headers: { "Retry-After": "120" } }),
      { type: "urn:cma:problem:too-many-requests", detail: "Trop de tentatives.", retry_after: 120 },
    );
    expect(error.retryAfter).toBe(120);
    expect(error.extra).toEqual({ retry_after: 120 });
    expect(error.message).toBe("Trop de tentatives.");
  });

  it("gives a French message when the body is not a problem", () => {
    expect(toApiError(new Response("<html>", { status: 502 }), undefined).detail).toBe(
      "Le service est momentanément indisponible. Veuillez réessayer dans quelques instants.",
    );
    expect(toApiError(new Response("", { status: 400 }), "oops").detail).toBe(
      "La demande n'a pas pu aboutir.",
    );
  });

  it("turns a network failure into an ApiError with status 0", async () => {
    const api = createApi({
      baseUrl: "http://cma.test",
      cookies: () => "",
      fetch: (async () => {
        throw new TypeError("Failed to fetch");
      }) as unknown as typeof fetch,
    });

    const error = (await call(api.GET("/api/v1/me")).catch((e: unknown) => e)) as ApiError;

    expect(error.status).toBe(0);
    expect(error.detail).toContain("Impossible de joindre le serveur");
  });
});

describe("CSRF", () => {
  it("echoes the cma_csrf cookie on unsafe requests only", async () => {
    const fake = answer(204, undefined) as typeof fetch & { seen: Request[] };
    const api = createApi({
      baseUrl: "http://cma.test",
      cookies: () => "other=1; cma_csrf=abc%3D123",
      fetch: fake,
    });

    await call(api.DELETE("/api/v1/sessions/current"));
    await call(api.GET("/api/v1/me")).catch(() => undefined);

    expect(fake.seen[0]?.headers.get("X-CSRF-Token")).toBe("abc=123");
    expect(fake.seen[1]?.headers.get("X-CSRF-Token")).toBeNull();
  });

  it("reads a cookie among others", () => {
    expect(readCookie("cma_csrf", "a=1; cma_csrf=xyz; b=2")).toBe("xyz");
    expect(readCookie("cma_csrf", "a=1")).toBeNull();
  });
});

describe("a lost session", () => {
  it("is a not-authenticated 401 on an account call, not a wrong password nor who-am-I", async () => {
    let lost = 0;
    const { sessionLostMiddleware } = await import("./client");
    const onResponse = sessionLostMiddleware(() => (lost += 1)).onResponse as (options: {
      request: Request;
      response: Response;
    }) => Promise<Response>;
    const problem = (type: string) =>
      new Response(JSON.stringify({ type, detail: "…" }), { status: 401 });

    await onResponse({
      request: new Request("http://cma.test/api/v1/me/profile"),
      response: problem("urn:cma:problem:not-authenticated"),
    });
    await onResponse({
      request: new Request("http://cma.test/api/v1/learner-links/legacy-login"),
      response: problem("urn:cma:problem:invalid-legacy-credentials"),
    });
    await onResponse({
      request: new Request("http://cma.test/api/v1/me"),
      response: problem("urn:cma:problem:not-authenticated"),
    });

    expect(lost).toBe(1);
  });
});

describe("the session's activity", () => {
  it("is what the server says is left, only on answers that used the session", async () => {
    const heard: number[] = [];
    const { activityMiddleware } = await import("./client");
    const onResponse = activityMiddleware((left) => heard.push(left)).onResponse as (options: {
      response: Response;
    }) => Response;

    onResponse({ response: new Response("{}", { headers: { "CMA-Session-Idle-Left": "1740" } }) });
    // A catalogue read: no session used, nothing kept alive.
    onResponse({ response: new Response("{}", { status: 200 }) });
    onResponse({ response: new Response("{}", { headers: { "CMA-Session-Idle-Left": "x" } }) });

    expect(heard).toEqual([1740]);
  });
});

describe("a busy server is asked again", () => {
  it("retries a 503 with Retry-After twice at most, waiting about what it says", async () => {
    let calls = 0;
    const busyTwice = (async (input: Request) => {
      calls += 1;
      expect(await input.text()).toBe(JSON.stringify({ email: "x@yopmail.com" }));
      if (calls <= 2) {
        return new Response(JSON.stringify({ detail: "occupé" }), {
          status: 503,
          headers: { "Content-Type": "application/problem+json", "Retry-After": "1" },
        });
      }
      return new Response(JSON.stringify({ email: "x@yopmail.com", detail: "ok" }), {
        status: 202,
        headers: { "Content-Type": "application/json" },
      });
    }) as unknown as typeof fetch;
    const waits: number[] = [];
    const api = createApi({
      baseUrl: "http://cma.test",
      cookies: () => "",
      fetch: busyTwice,
      wait: async (ms) => void waits.push(ms),
    });

    const done = await call(
      api.POST("/api/v1/accounts/activation/resend", { body: { email: "x@yopmail.com" } }),
    );

    expect(done.detail).toBe("ok");
    expect(calls).toBe(3);
    expect(waits).toHaveLength(2);
    for (const ms of waits) expect(ms).toBeGreaterThanOrEqual(750);
  });

  it("gives up after two retries and shows the server's French answer", async () => {
    const api = createApi({
      baseUrl: "http://cma.test",
      cookies: () => "",
      fetch: answer(
        503,
        { type: "urn:cma:problem:busy", status: 503, detail: "Beaucoup de personnes se connectent en ce moment." },
        { "Retry-After": "1" },
      ),
      wait: async () => undefined,
    });

    const error = (await call(api.GET("/api/v1/me")).catch((e: unknown) => e)) as ApiError;

    expect(error.status).toBe(503);
    expect(error.detail).toContain("Beaucoup de personnes");
  });
});
