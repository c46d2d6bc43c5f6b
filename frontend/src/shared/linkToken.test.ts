import { describe, expect, it } from "vitest";
import { tokenIn } from "./linkToken";

describe("the token of a mailed link", () => {
  it("is read from the fragment, where mails put it", () => {
    expect(tokenIn("#token=abc-DEF_123", {})).toBe("abc-DEF_123");
  });

  it("is still read from the query of links mailed before", () => {
    expect(tokenIn("", { token: "ancien" })).toBe("ancien");
  });

  it("prefers the fragment, and is empty when there is none", () => {
    expect(tokenIn("#token=neuf", { token: "ancien" })).toBe("neuf");
    expect(tokenIn("", {})).toBe("");
    expect(tokenIn("#autre=1", { token: ["a", "b"] })).toBe("");
  });
});
