// Swagger UI of the CMA API, self-hosted (see backend/cma/spa.py).
window.addEventListener("load", () => {
  window.ui = SwaggerUIBundle({
    url: "/openapi.json",
    dom_id: "#swagger-ui",
    deepLinking: true,
    // Authorize keeps its token in memory only: persisted, it would sit in localStorage, where
    // any script of this origin could read it.
    persistAuthorization: false,
    presets: [SwaggerUIBundle.presets.apis, SwaggerUIBundle.SwaggerUIStandalonePreset],
    layout: "BaseLayout",
  });
});
