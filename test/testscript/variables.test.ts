/** Variables and Touchstone placeholders, as Nictiz's scripts and fixtures use them. */
import { describe, expect, it } from "vitest";
import { createVariableScope } from "./index.mjs";

const T = { name: "T", defaultValue: "${CURRENTDATE}" };

describe("placeholders", () => {
  const scope = createVariableScope({ definitions: [T], today: "2024-03-01" });

  it("CURRENTDATE is today; DATE counts from a variable, whatever the spacing", () => {
    expect(scope.substitute("${CURRENTDATE}")).toBe("2024-03-01");
    expect(scope.substitute("${DATE, T, D, -24}T00:00:00+01:00")).toBe("2024-02-06T00:00:00+01:00");
    expect(scope.substitute("ge${DATE, T, D,-730}&le${DATE, T, D,-0}")).toBe("ge2022-03-02&le2024-03-01"); // 730 days, across 29 February 2024
    expect(scope.substitute("${DATE,T,D,1}")).toBe("2024-03-02");
    expect(scope.substitute("${CURRENTDATE, d, -10}")).toBe("2024-02-20");
  });

  it("months and years clamp to the end of the month, as Java's Calendar does", () => {
    const endOfJanuary = createVariableScope({ definitions: [T], today: "2024-01-31" });
    expect(endOfJanuary.substitute("${DATE, T, M, 1}")).toBe("2024-02-29");
    expect(endOfJanuary.substitute("${DATE, T, M, -2}")).toBe("2023-11-30");
    const leapDay = createVariableScope({ definitions: [T], today: "2024-02-29" });
    expect(leapDay.substitute("${DATE, T, Y, 1}")).toBe("2025-02-28");
    expect(leapDay.substitute("${CURRENTDATE, y, -4, d, 1}")).toBe("2020-03-01");
  });

  it("UUID is fresh at each use", () => {
    const a = scope.substitute("${UUID}");
    expect(a).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(scope.substitute("${UUID}")).not.toBe(a);
  });

  it("refuses what it does not know, rather than sending it", () => {
    expect(() => scope.substitute("${NOPE}")).toThrow("unknown variable or placeholder ${NOPE}");
    expect(() => scope.substitute("${DATE, T, h, 1}")).toThrow('unit "h" is not one of y, M, d');
    expect(() => scope.substitute("${DATE, T, D, 1.5}")).toThrow('offset "1.5" is not an integer');
    expect(() => scope.substitute("${DATE, T, D}")).toThrow("expected <unit>, <offset> pairs");
    const bad = createVariableScope({ definitions: [{ name: "T", defaultValue: "tomorrow" }], today: "2024-03-01" });
    expect(() => bad.substitute("${DATE, T, D, 1}")).toThrow('variable T holds "tomorrow", not a YYYY-MM-DD date');
  });
});

describe("script variables", () => {
  it("expand a defaultValue once per run, so a correlation id stays the same", () => {
    let n = 0;
    const scope = createVariableScope({ definitions: [{ name: "X-Correlation-ID", defaultValue: "${UUID}" }], uuid: () => `uuid-${++n}` });
    expect(scope.substitute("${X-Correlation-ID} ${X-Correlation-ID} ${UUID}")).toBe("uuid-1 uuid-1 uuid-2");
  });

  it("give way to the caller's overrides", () => {
    const scope = createVariableScope({
      definitions: [{ name: "patient-token-XXX_Helleman", defaultValue: "Bearer nictiz" }, T],
      overrides: { "patient-token-XXX_Helleman": "Bearer real", T: "2000-01-31" },
    });
    expect(scope.substitute("${patient-token-XXX_Helleman}")).toBe("Bearer real");
    expect(scope.substitute("${DATE, T, D, 1}")).toBe("2000-02-01");
  });

  it("with an expression, are evaluated at each use by the caller's evaluator", () => {
    const values = ["a", "b"];
    const scope = createVariableScope({ definitions: [{ name: "id", expression: "Patient.id", sourceId: "p" }], evaluate: () => values.shift() ?? "none" });
    expect(scope.substitute("/${id}")).toBe("/a");
    expect(scope.substitute("/${id}")).toBe("/b");
    expect(() => createVariableScope({ definitions: [{ name: "id", expression: "Patient.id", sourceId: "p" }] }).resolve("id")).toThrow(/needs a source/);
  });

  it("escape what they put into a body, and catch a variable that refers to itself", () => {
    const scope = createVariableScope({ definitions: [{ name: "v", defaultValue: `a"<b>&'` }, { name: "loop", defaultValue: "${loop}" }] });
    expect(scope.substitute(`"${"${v}"}"`, (s) => JSON.stringify(s).slice(1, -1))).toBe(`"a\\"<b>&'"`);
    expect(() => scope.resolve("loop")).toThrow("variable loop refers to itself");
  });
});
