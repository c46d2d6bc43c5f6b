// The typed client is generated from the committed OpenAPI document: `make openapi` keeps
// them in step, and this test fails when they are not.
import { readFileSync } from "node:fs";
import openapiTS, { astToString } from "openapi-typescript";
import { expect, it } from "vitest";

it("src/api/schema.d.ts matches openapi/openapi.json", async () => {
  const document = new URL("../../../openapi/openapi.json", import.meta.url);
  const generated = astToString(await openapiTS(document));
  const committed = readFileSync(new URL("./schema.d.ts", import.meta.url), "utf-8");

  expect(committed.endsWith(generated), "schema.d.ts is stale: run `make openapi`").toBe(true);
});
