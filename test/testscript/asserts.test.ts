/** Each kind of assert and each operator, passing and failing, on crafted exchanges. */
import { describe, expect, it } from "vitest";
import { compare, evaluateAssert, type Assert, type AssertContext, type Exchange, type Message } from "./index.mjs";

const A = (a: Partial<Assert>): Assert => ({ warningOnly: false, stopTestOnFail: false, ...a });

function response(resource: Record<string, unknown> | undefined, status = 200, headers: Record<string, string> = { "content-type": "application/fhir+json;charset=utf-8" }): Message {
  return { status, headers, ...(resource ? { resource } : { resourceError: "the response is not FHIR" }) };
}

function exchange(res: Message, request: Partial<Message> = {}): Exchange {
  return { request: { method: "GET", url: "https://fhir.example/fhir/Observation?code=http://loinc.org%7C85354-9", headers: { authorization: "Bearer abc" }, ...request }, response: res };
}

function ctx(ex: Exchange | undefined, extra: Partial<AssertContext> = {}, sources: Record<string, Message> = {}): AssertContext {
  return {
    exchange: ex,
    source: (id) => sources[id],
    profiles: {},
    rules: {},
    substitute: (text) => text.replaceAll("${code}", "85354-9"),
    variable: (name) => (name === "T" ? "2024-03-01" : undefined),
    ...extra,
  };
}

const bundle = {
  resourceType: "Bundle", type: "searchset", total: 2,
  link: [{ relation: "self", url: "https://fhir.example/fhir/Observation?code=x" }],
  entry: [
    { resource: { resourceType: "Observation", id: "o1", status: "final", code: { coding: [{ system: "http://loinc.org", code: "85354-9" }] } } },
    { resource: { resourceType: "Observation", id: "o2", status: "final", code: { coding: [{ system: "http://loinc.org", code: "85354-9" }] } } },
  ],
};
const ok = exchange(response(bundle));
const check = (a: Partial<Assert>, ex: Exchange | undefined = ok, extra: Partial<AssertContext> = {}, sources: Record<string, Message> = {}) => evaluateAssert(A(a), ctx(ex, extra, sources));

describe("expression as a condition", () => {
  it("passes on {true} only, or on a single non-Boolean item (FHIRPath's singleton rule)", () => {
    expect(check({ expression: "Bundle.entry.count() = 2" })).toEqual({ outcome: "passed" });
    expect(check({ expression: "Bundle.type" })).toEqual({ outcome: "passed" });
    expect(check({ expression: "Bundle.entry.count() = 3" })).toMatchObject({ outcome: "failed", message: "Bundle.entry.count() = 3 is false" });
    expect(check({ expression: "Bundle.link.where(relation = 'next').url" })).toMatchObject({ outcome: "failed", message: "Bundle.link.where(relation = 'next').url is empty" });
    expect(check({ expression: "Bundle.entry.resource.id" })).toMatchObject({ outcome: "failed", message: expect.stringContaining("gives 2 items") as unknown, actual: '["o1", "o2"]' });
    expect(check({ expression: "Bundle.entry.count() = 2", operator: "eval" })).toEqual({ outcome: "passed" });
  });

  it("fails, with FHIRPath's message, on an expression that cannot be evaluated", () => {
    expect(check({ expression: "Bundle.entry.resource.id.startsWith('o')" })).toMatchObject({ outcome: "failed", message: expect.stringMatching(/^FHIRPath .*expected singleton/) as unknown });
  });

  it("reads type names without regard to case, as Touchstone does (Nictiz writes is(coding))", () => {
    expect(check({ expression: "Bundle.descendants().where($this.is(coding)).count() = 2" })).toEqual({ outcome: "passed" });
    expect(check({ expression: "Bundle.entry.resource.where($this is observation).count() = 2 and 'is coding' = 'is coding'" })).toEqual({ outcome: "passed" });
  });

  it("gets TestScript variables as FHIRPath environment variables", () => {
    expect(check({ expression: "%T = '2024-03-01'" })).toEqual({ outcome: "passed" });
  });

  it("fails when the message is not a FHIR resource", () => {
    expect(check({ expression: "true" }, exchange(response(undefined)))).toMatchObject({ outcome: "failed", message: "the response is not FHIR" });
  });
});

describe("expression with an operator and value", () => {
  it("compares each item as a string, substituting variables in the value", () => {
    expect(check({ expression: "Bundle.type", operator: "equals", value: "searchset" })).toEqual({ outcome: "passed" });
    expect(check({ expression: "Bundle.type", value: "searchset" })).toEqual({ outcome: "passed" });
    expect(check({ expression: "Bundle.total", value: "2" })).toEqual({ outcome: "passed" });
    expect(check({ expression: "Bundle.entry[0].resource.code.coding.code", value: "${code}" })).toEqual({ outcome: "passed" });
    expect(check({ expression: "Bundle.type", operator: "equals", value: "collection" })).toEqual({
      outcome: "failed", message: 'expected Bundle.type equals "collection", got "searchset"', actual: '"searchset"',
    });
    expect(check({ expression: "Bundle.entry.resource.status", value: "final" })).toMatchObject({ outcome: "failed" }); // two items are not the one value
    expect(check({ expression: "Bundle.entry.resource.status", operator: "in", value: "final,amended" })).toEqual({ outcome: "passed" });
    expect(check({ expression: "Bundle.entry[0].resource.id", operator: "notEquals", value: "o1" })).toMatchObject({ outcome: "failed" });
    expect(check({ expression: "Bundle.entry[0].resource.meta.versionId", operator: "notEquals", value: "1" })).toEqual({ outcome: "passed" });
  });
});

describe("the operators", () => {
  const cases: [string, string[], string[], boolean][] = [
    ["equals", ["a"], ["a"], true], ["equals", ["a"], ["b"], false], ["equals", [], ["a"], false], ["equals", ["a", "a"], ["a"], false],
    ["notEquals", ["a"], ["b"], true], ["notEquals", ["a"], ["a"], false], ["notEquals", [], ["a"], true],
    ["in", ["200"], ["200", "201"], true], ["in", ["404"], ["200", "201"], false], ["in", [], ["200"], false],
    ["notIn", ["404"], ["200", "201"], true], ["notIn", ["200"], ["200", "201"], false],
    ["greaterThan", ["10"], ["9"], true], ["greaterThan", ["9"], ["10"], false], ["greaterThan", ["2024-03-02"], ["2024-03-01"], true], ["greaterThan", ["1", "2"], ["0"], false],
    ["lessThan", ["9"], ["10"], true], ["lessThan", ["b"], ["a"], false],
    ["empty", [], [], true], ["empty", ["x"], [], false],
    ["notEmpty", ["x"], [], true], ["notEmpty", [], [], false],
    ["contains", ["https://x/Patient?a=1"], ["Patient"], true], ["contains", ["abc"], ["d"], false],
    ["notContains", ["https://x/Observation?code=1"], ["patient="], true], ["notContains", ["https://x/Observation?patient=1"], ["patient="], false],
  ];
  it.each(cases)("%s %j vs %j: %s", (operator, actual, expected, passed) => {
    expect(compare(operator, actual, expected, "it").passed).toBe(passed);
  });
});

describe("the other kinds of assert", () => {
  it("responseCode, with in, equals and notEquals", () => {
    expect(check({ responseCode: "200,201", operator: "in" })).toEqual({ outcome: "passed" });
    expect(check({ responseCode: "200,201", operator: "in" }, exchange(response(undefined, 404)))).toMatchObject({ outcome: "failed", message: 'expected the status in ["200", "201"], got "404"' });
    expect(check({ responseCode: "400", operator: "equals" }, exchange(response(undefined, 400)))).toEqual({ outcome: "passed" });
    expect(check({ responseCode: "200", operator: "notEquals" })).toMatchObject({ outcome: "failed" });
  });

  it("response (okay, notFound, ...)", () => {
    expect(check({ response: "okay" })).toEqual({ outcome: "passed" });
    expect(check({ response: "notFound" })).toMatchObject({ outcome: "failed", message: 'expected the status equals 404 (notFound), got "200"' });
  });

  it("resource: the resource type", () => {
    expect(check({ resource: "Bundle" })).toEqual({ outcome: "passed" });
    expect(check({ resource: "OperationOutcome" })).toMatchObject({ outcome: "failed", actual: '"Bundle"' });
    expect(check({ resource: "Binary" }, exchange(response(undefined, 200, { "content-type": "application/pdf" })))).toMatchObject({ outcome: "failed", message: expect.stringContaining("the response is not FHIR") as unknown });
  });

  it("headerField, on the response or (direction=request) the request", () => {
    expect(check({ headerField: "Content-Type", value: "application/fhir+json;charset=utf-8" })).toEqual({ outcome: "passed" });
    expect(check({ headerField: "Content-Type", value: "application/pdf" })).toMatchObject({ outcome: "failed" });
    expect(check({ headerField: "authorization", direction: "request", value: "Bearer abc" })).toEqual({ outcome: "passed" });
    expect(check({ headerField: "Location" })).toMatchObject({ outcome: "failed", message: "expected header Location to be present, got nothing" });
  });

  it("requestURL and requestMethod: the request", () => {
    expect(check({ requestURL: "patient=", operator: "notContains", direction: "request" })).toEqual({ outcome: "passed" });
    expect(check({ requestURL: "code=", operator: "notContains", direction: "request" })).toMatchObject({ outcome: "failed" });
    expect(check({ requestMethod: "get" })).toEqual({ outcome: "passed" });
    expect(check({ requestMethod: "post" })).toMatchObject({ outcome: "failed", message: 'expected the request method equals "post", got "get"' });
  });

  it("contentType: the media type, parameters aside", () => {
    expect(check({ contentType: "json" })).toEqual({ outcome: "passed" });
    expect(check({ contentType: "xml" })).toMatchObject({ outcome: "failed", actual: '"application/fhir+json"' });
  });

  it("navigationLinks: first, next and last", () => {
    expect(check({ navigationLinks: true })).toMatchObject({ outcome: "failed", message: "the Bundle lacks the navigation links first, last, next" });
    const paged = { ...bundle, link: ["self", "first", "next", "last"].map((relation) => ({ relation, url: `https://x/${relation}` })) };
    expect(check({ navigationLinks: true }, exchange(response(paged)))).toEqual({ outcome: "passed" });
  });

  it("compareToSourceId: the expression on the message against the expression on a fixture", () => {
    const fixture: Message = { headers: {}, resource: { resourceType: "Observation", id: "o1", status: "final" } };
    const sources = { fixture };
    expect(check({ compareToSourceId: "fixture", compareToSourceExpression: "Observation.status", expression: "Bundle.entry[0].resource.status" }, ok, {}, sources)).toEqual({ outcome: "passed" });
    expect(check({ compareToSourceId: "fixture", compareToSourceExpression: "Observation.id", expression: "Bundle.entry.resource.id" }, ok, {}, sources)).toMatchObject({ outcome: "failed", actual: '["o1", "o2"]' });
    expect(check({ compareToSourceId: "fixture", compareToSourceExpression: "Observation.id", expression: "Bundle.entry.resource.id", operator: "contains" }, ok, {}, sources)).toEqual({ outcome: "passed" });
  });

  it("minimumId: the message holds at least what the fixture holds", () => {
    const minimum = (resource: Record<string, unknown>) => ({ min: { headers: {}, resource } });
    const observation = exchange(response({ resourceType: "Observation", id: "o1", status: "final", code: { coding: [{ system: "s", code: "a" }, { system: "s", code: "b" }] } }));
    expect(check({ minimumId: "min" }, observation, {}, minimum({ resourceType: "Observation", code: { coding: [{ code: "b" }] } }))).toEqual({ outcome: "passed" });
    expect(check({ minimumId: "min" }, observation, {}, minimum({ resourceType: "Observation", status: "amended", code: { coding: [{ code: "c" }] } }))).toMatchObject({
      outcome: "failed", message: 'lacks what min has: /status ("amended", got "final"); /code/coding/0',
    });
  });

  it("sourceId: a fixture or an earlier response instead of the last exchange", () => {
    const sources = { earlier: response({ resourceType: "Patient", id: "p" }) };
    expect(evaluateAssert(A({ sourceId: "earlier", resource: "Patient" }), ctx(undefined, {}, sources))).toEqual({ outcome: "passed" });
    expect(check({ sourceId: "later", resource: "Patient" })).toEqual({ outcome: "notEvaluated", message: "there is no fixture or response later" });
  });
});

describe("outcomes", () => {
  it("warningOnly turns a failure into a warning, not a pass into anything else", () => {
    expect(check({ expression: "false", warningOnly: true })).toMatchObject({ outcome: "warning", message: "false is false" });
    expect(check({ expression: "true", warningOnly: true })).toEqual({ outcome: "passed" });
  });

  it("an assert without an operation before it, or naming nothing to check, is not evaluated", () => {
    expect(evaluateAssert(A({ resource: "Bundle" }), ctx(undefined))).toEqual({ outcome: "notEvaluated", message: "no operation before this assert" });
    expect(check({ description: "only words" })).toEqual({ outcome: "notEvaluated", message: "the assert names nothing to check" });
  });
});
