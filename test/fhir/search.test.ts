/**
 * FHIR STU3 search as pure logic (SPEC G-6; http://hl7.org/fhir/STU3/search.html): how a request's parameters are
 * read against HL7's SearchParameter definitions (workers/fhir/search/parse.ts), what a date search value means
 * (workers/fhir/dates.ts, one rule for the SQL of the store and for memory), tokens (workers/fhir/tokens.ts),
 * what a resource is indexed as at write time (workers/fhir/indexing.ts), the self/next/previous links of a
 * searchset (workers/fhir/bundles.ts) and format negotiation (workers/fhir/formats/negotiate.ts).
 * The same rules through the real store and Resource Server: test/dvza/store-search.test.ts.
 */
import { describe, expect, it } from "vitest";
import { searchsetText, searchUrl } from "../../workers/fhir/bundles.ts";
import { dateCondition, dateMatches, dateRange, dateRule, MAX_TIME, MIN_TIME, periodRange, type DateCondition, type DateRange } from "../../workers/fhir/dates.ts";
import { responseFormat, requestFormat } from "../../workers/fhir/formats/negotiate.ts";
import { indexResource } from "../../workers/fhir/indexing.ts";
import { parseSearch, SearchError, type ClauseValue, type ParseOptions, type SearchQuery } from "../../workers/fhir/search/parse.ts";
import { parseToken, splitValues, tokenMatches, tokenValues } from "../../workers/fhir/tokens.ts";

const BASE = "https://umcharderwijk.zorgbridge.localhost/48/fhir";
const q = (type: string, query: string, options: ParseOptions = {}): SearchQuery => parseSearch(type, new URLSearchParams(query), options);
const refused = (type: string, query: string, options: ParseOptions = {}): SearchError => {
  try {
    q(type, query, options);
  } catch (e) {
    if (e instanceof SearchError) return e;
    throw e;
  }
  throw new Error(`${type}?${query} was not refused`);
};
const only = (query: SearchQuery): readonly ClauseValue[] => {
  expect(query.clauses).toHaveLength(1);
  return query.clauses[0]!.values;
};
const utc = (iso: string) => Date.parse(iso);
const range = (text: string): DateRange => {
  const r = dateRange(text);
  if (!r) throw new Error(`${text} is not a date`);
  return r;
};
const cond = (text: string): DateCondition => {
  const c = dateCondition(text);
  if (!c) throw new Error(`${text} is not a date condition`);
  return c;
};

describe("G-6, STU3 §2.1.1.4: a date stands for the interval its precision covers", () => {
  it.each<[string, string, string]>([
    ["2024", "2024-01-01T00:00:00.000Z", "2025-01-01T00:00:00.000Z"],
    ["2024-02", "2024-02-01T00:00:00.000Z", "2024-03-01T00:00:00.000Z"],
    // A leap year's February, and December rolling into the next year.
    ["2024-02-29", "2024-02-29T00:00:00.000Z", "2024-03-01T00:00:00.000Z"],
    ["2024-12", "2024-12-01T00:00:00.000Z", "2025-01-01T00:00:00.000Z"],
    ["2024-03-01T10:15", "2024-03-01T10:15:00.000Z", "2024-03-01T10:16:00.000Z"],
    ["2024-03-01T10:15:30Z", "2024-03-01T10:15:30.000Z", "2024-03-01T10:15:31.000Z"],
    // The zone moves the interval to UTC: 10:00 at +01:00 is 09:00Z, at -05:30 is 15:30Z.
    ["2024-03-01T10:00:00+01:00", "2024-03-01T09:00:00.000Z", "2024-03-01T09:00:01.000Z"],
    ["2024-03-01T10:00:00-05:30", "2024-03-01T15:30:00.000Z", "2024-03-01T15:30:01.000Z"],
    ["2024-03-01T10:00+02:00", "2024-03-01T08:00:00.000Z", "2024-03-01T08:01:00.000Z"],
    ["2024-03-01T10:00:00.250Z", "2024-03-01T10:00:00.250Z", "2024-03-01T10:00:00.251Z"],
    // No zone: read as UTC (STU3 leaves it to the server).
    ["2024-03-01T10:00:00", "2024-03-01T10:00:00.000Z", "2024-03-01T10:00:01.000Z"],
  ])("%s is [%s, %s)", (text, lo, hi) => {
    expect(range(text)).toEqual({ lo: utc(lo), hi: utc(hi) });
  });

  it.each(["2023-02-29", "2024-13", "2024-00", "2024-04-31", "2024-03-01T24:00", "2024-03-01T10:60", "24", "2024-3-1", "2024-03-01T10", "gisteren", "", "2024-03-01 10:00"])("%s is not a FHIR date", (text) => {
    expect(dateRange(text)).toBeUndefined();
  });

  it("a Period is from its start's beginning to its end's end, open where a bound is missing", () => {
    expect(periodRange("2024-01", "2024-02-10")).toEqual({ lo: utc("2024-01-01"), hi: utc("2024-02-11") });
    expect(periodRange("2024-01-01", undefined)).toEqual({ lo: utc("2024-01-01"), hi: MAX_TIME });
    expect(periodRange(undefined, "2024")).toEqual({ lo: MIN_TIME, hi: utc("2025-01-01") });
    expect(periodRange(undefined, undefined)).toBeUndefined();
    // A bound that is not a date makes the whole Period unusable, never half a range.
    expect(periodRange("2024-01-01", "later")).toBeUndefined();
  });
});

describe("G-6, STU3 §2.1.1.4: every date prefix against a target interval", () => {
  // The search value 2024-03 is [March 1, April 1). Targets around it:
  const MARCH = cond("2024-03").range;
  const targets: Record<string, DateRange> = {
    inside: range("2024-03-15"), // within March
    exact: MARCH, // March itself
    before: range("2024-02-10"), // wholly before
    after: range("2024-04-10"), // wholly after
    overlapsStart: { lo: utc("2024-02-20"), hi: utc("2024-03-05") }, // straddles March 1
    overlapsEnd: { lo: utc("2024-03-25"), hi: utc("2024-04-05") }, // straddles April 1
    around: { lo: utc("2024-01-01"), hi: utc("2024-06-01") }, // contains March
    touchesEnd: { lo: utc("2024-04-01"), hi: utc("2024-04-02") }, // starts exactly where March ends
    touchesStart: { lo: utc("2024-02-29"), hi: utc("2024-03-01") }, // ends exactly where March starts
  };
  const matching = (prefix: string, now?: number) => Object.keys(targets).filter((k) => dateMatches(targets[k]!, cond(`${prefix}2024-03`), now));

  it.each<[string, string[]]>([
    // eq: the search interval contains the target.
    ["eq", ["inside", "exact"]],
    ["", ["inside", "exact"]],
    // ne: not contained.
    ["ne", ["before", "after", "overlapsStart", "overlapsEnd", "around", "touchesEnd", "touchesStart"]],
    // gt/lt: the part above the end / below the start overlaps the target.
    ["gt", ["after", "overlapsEnd", "around", "touchesEnd"]],
    ["lt", ["before", "overlapsStart", "around", "touchesStart"]],
    // ge/le: that, or contained.
    ["ge", ["inside", "exact", "after", "overlapsEnd", "around", "touchesEnd"]],
    ["le", ["inside", "exact", "before", "overlapsStart", "around", "touchesStart"]],
    // sa/eb: starts after the end / ends before the start, no overlap at all.
    ["sa", ["after", "touchesEnd"]],
    ["eb", ["before", "touchesStart"]],
  ])("%s2024-03 matches %j", (prefix, expected) => {
    expect(matching(prefix)).toEqual(expected);
  });

  it("ap widens the interval by 10 % of its distance from now, on both sides", () => {
    // Now = 2034-03-16: March 2024 is ~10 years away, so ap reaches ~1 year either side.
    const now = utc("2034-03-16");
    const ap = matching("ap", now);
    expect(ap).toEqual(Object.keys(targets));
    expect(dateMatches(range("2023-04-01"), cond("ap2024-03"), now)).toBe(true);
    expect(dateMatches(range("2022-06-01"), cond("ap2024-03"), now)).toBe(false);
    expect(dateMatches(range("2026-01-01"), cond("ap2024-03"), now)).toBe(false);
    // Close to now the slack is small: a month ago (mid-March 29.5 days before April 15) reaches ~3 days either side.
    const today = utc("2024-04-15");
    expect(dateMatches(range("2024-02-27"), cond("ap2024-03"), today)).toBe(true);
    expect(dateMatches(range("2024-04-03"), cond("ap2024-03"), today)).toBe(true);
    expect(dateMatches(range("2024-02-25"), cond("ap2024-03"), today)).toBe(false);
    expect(dateMatches(range("2024-04-05"), cond("ap2024-03"), today)).toBe(false);
  });

  it("a dateTime with a zone compares in UTC: 2024-03-01T00:30+01:00 is still February in UTC", () => {
    const t = range("2024-03-01T00:30:00+01:00");
    expect(dateMatches(t, cond("2024-02"))).toBe(true);
    expect(dateMatches(t, cond("2024-03"))).toBe(false);
    expect(dateMatches(t, cond("lt2024-03-01"))).toBe(true);
    expect(dateMatches(t, cond("ge2024-03-01T00:00:00+01:00"))).toBe(true);
    expect(dateMatches(t, cond("gt2024-03-01T00:30:00+01:00"))).toBe(false);
    expect(dateMatches(t, cond("eq2024-02-29T23:30:00Z"))).toBe(true);
  });

  it("an open-ended Period is never 'eq' a bounded value, but overlaps everything after its start", () => {
    const since2020 = periodRange("2020-01-01", undefined)!;
    expect(dateMatches(since2020, cond("2024"))).toBe(false);
    expect(dateMatches(since2020, cond("ge2024"))).toBe(true);
    expect(dateMatches(since2020, cond("gt2099"))).toBe(true);
    expect(dateMatches(since2020, cond("lt2020"))).toBe(false);
    expect(dateMatches(since2020, cond("sa2019"))).toBe(true);
  });

  it("the rule is data: SQL and memory evaluate the same bound tests", () => {
    const { lo: S, hi: E } = cond("2024-03").range;
    expect(dateRule(cond("ge2024-03"))).toEqual([[{ bound: "hi", op: ">", value: E }], [{ bound: "lo", op: ">=", value: S }, { bound: "hi", op: "<=", value: E }]]);
    expect(dateRule(cond("sa2024-03"))).toEqual([[{ bound: "lo", op: ">=", value: E }]]);
  });

  it.each(["xx2024", "ge", "ge2024-02-30", "gt2024-03-01T10:00:00+0100", "2024-03-01T10:00:00 01:00"])("%s is not a date search value", (text) => {
    expect(dateCondition(text)).toBeUndefined();
  });
});

describe("G-6, STU3 token search", () => {
  const observationCode = { coding: [{ system: "http://loinc.org", code: "85354-9" }, { code: "bp" }] };

  it.each<[string, { system: string | undefined; code: string | undefined }]>([
    ["http://loinc.org|85354-9", { system: "http://loinc.org", code: "85354-9" }],
    ["|bp", { system: "", code: "bp" }],
    ["http://loinc.org|", { system: "http://loinc.org", code: undefined }],
    ["85354-9", { system: undefined, code: "85354-9" }],
    ["urn:oid:2.16.840.1.113883.2.4.4.10|2478889", { system: "urn:oid:2.16.840.1.113883.2.4.4.10", code: "2478889" }],
  ])("%s reads as %j", (text, expected) => {
    expect(parseToken(text)).toEqual(expected);
  });

  it("system|code, |code (no system), system| (any code), code (any system)", () => {
    const values = tokenValues(observationCode);
    expect(values).toEqual([{ system: "http://loinc.org", code: "85354-9" }, { system: undefined, code: "bp" }]);
    const matches = (text: string) => tokenMatches(values, parseToken(text)!);
    expect(matches("http://loinc.org|85354-9")).toBe(true);
    expect(matches("http://snomed.info/sct|85354-9")).toBe(false);
    expect(matches("85354-9")).toBe(true);
    expect(matches("|bp")).toBe(true);
    // `|85354-9` asks for the code without a system: the LOINC coding has one.
    expect(matches("|85354-9")).toBe(false);
    expect(matches("http://loinc.org|")).toBe(true);
    expect(matches("http://snomed.info/sct|")).toBe(false);
  });

  it("identifiers, booleans and plain codes are tokens too", () => {
    expect(tokenValues({ system: "http://fhir.nl/fhir/NamingSystem/bsn", value: "999990019" })).toEqual([{ system: "http://fhir.nl/fhir/NamingSystem/bsn", code: "999990019" }]);
    expect(tokenValues(true)).toEqual([{ system: undefined, code: "true" }]);
    expect(tokenValues("final")).toEqual([{ system: undefined, code: "final" }]);
    expect(tokenValues("")).toEqual([]);
    expect(tokenValues({ text: "no coding" })).toEqual([]);
  });

  it("STU3 §2.1.1.7: a comma is OR unless escaped; the escape character escapes itself", () => {
    expect(splitValues("a,b,c")).toEqual(["a", "b", "c"]);
    expect(splitValues("a\\,b,c")).toEqual(["a,b", "c"]);
    expect(splitValues("a\\\\,b")).toEqual(["a\\", "b"]);
    expect(splitValues("")).toEqual([""]);
  });

  it("STU3 §2.1.1.7: an escaped bar belongs to the code or system, it is not the separator", () => {
    expect(splitValues("urn:x|a\\|b,c\\|d").map(parseToken)).toEqual([
      { system: "urn:x", code: "a|b" },
      { system: undefined, code: "c|d" },
    ]);
    expect(only(q("Observation", `code=${encodeURIComponent("http://loinc.org|x\\|y\\,z")}`))).toEqual([{ kind: "token", token: { system: "http://loinc.org", code: "x|y,z" } }]);
  });

  it("an empty token (no system, no code) is refused, not read as 'anything'", () => {
    expect(parseToken("")).toBeUndefined();
    expect(parseToken("|")).toBeUndefined();
    expect(refused("Observation", "code=|")).toMatchObject({ status: 400, code: "invalid" });
    expect(refused("Observation", "code=a,,b")).toMatchObject({ status: 400, message: expect.stringMatching(/code: an empty token/) });
  });
});

describe("G-6: parsing a search against the SearchParameter definitions", () => {
  it("token parameters: comma is OR, a repeated parameter is AND", () => {
    const s = q("Observation", "code=http://loinc.org|85354-9,http://loinc.org|29463-7&category=vital-signs&category=http://hl7.org/fhir/observation-category|vital-signs");
    expect(s.clauses.map((c) => [c.param, c.type, c.values.length])).toEqual([["code", "token", 2], ["category", "token", 1], ["category", "token", 1]]);
    expect(s.clauses[0]!.values).toEqual([
      { kind: "token", token: { system: "http://loinc.org", code: "85354-9" } },
      { kind: "token", token: { system: "http://loinc.org", code: "29463-7" } },
    ]);
    expect(s.applied).toEqual([
      ["code", "http://loinc.org|85354-9,http://loinc.org|29463-7"],
      ["category", "vital-signs"],
      ["category", "http://hl7.org/fhir/observation-category|vital-signs"],
    ]);
  });

  it("date parameters with every prefix and precision (Nictiz: date=ge${DATE}&date=le${DATE})", () => {
    for (const prefix of ["eq", "ne", "gt", "lt", "ge", "le", "sa", "eb", "ap"]) {
      for (const value of ["2024", "2024-03", "2024-03-01", "2024-03-01T10:00:00Z", "2024-03-01T10:00:00+01:00"]) {
        const [v] = only(q("Observation", `date=${prefix}${encodeURIComponent(value)}`));
        expect(v).toEqual({ kind: "date", date: { prefix, range: range(value) } });
      }
    }
    const [none] = only(q("Observation", "date=2024-03"));
    expect(none).toMatchObject({ kind: "date", date: { prefix: "eq" } });
    const window = q("Observation", "date=ge2026-01-01&date=le2026-03-31");
    expect(window.clauses.map((c) => (c.values[0] as { date: DateCondition }).date.prefix)).toEqual(["ge", "le"]);
  });

  it("a date that is no date is a 400 that names the parameter", () => {
    expect(refused("Observation", "date=ge2024-02-30")).toMatchObject({ status: 400, code: "invalid", message: expect.stringMatching(/^date: '.*' is not a FHIR date/) });
    expect(refused("Observation", "date=yesterday")).toMatchObject({ status: 400 });
    expect(refused("Observation", "_lastUpdated=gt2024-13")).toMatchObject({ status: 400, message: expect.stringMatching(/_lastUpdated/) });
  });

  it("_lastUpdated and _id are parameters of every type", () => {
    const s = q("Condition", "_lastUpdated=ge2026-01-01&_id=a,b");
    expect(s.clauses.map((c) => [c.param, c.type])).toEqual([["_lastUpdated", "date"], ["_id", "token"]]);
    expect(s.ignored).toEqual([]);
  });

  it("reference parameters: Type/id, a bare id, an absolute URL on this server, a versioned reference, a type modifier", () => {
    expect(only(q("Observation", "subject=Patient/p1"))).toEqual([{ kind: "reference", type: "Patient", id: "p1" }]);
    expect(only(q("Observation", "subject=p1"))).toEqual([{ kind: "reference", type: undefined, id: "p1" }]);
    expect(only(q("Observation", "subject:Patient=p1"))).toEqual([{ kind: "reference", type: "Patient", id: "p1" }]);
    expect(only(q("Observation", `subject=${BASE}/Patient/p1`, { bases: [BASE] }))).toEqual([{ kind: "reference", type: "Patient", id: "p1" }]);
    expect(only(q("Observation", "subject=Patient/p1/_history/2"))).toEqual([{ kind: "reference", type: "Patient", id: "p1" }]);
  });

  it("a reference elsewhere, or that is no reference at all, is refused (X-4: never a way out of this server)", () => {
    for (const value of ["https://other.example.nl/fhir/Patient/p1", `${BASE}/Patient/p1`, "Patient/..", "Patient/p1/extra", "urn:uuid:1"]) {
      expect(refused("Observation", `subject=${encodeURIComponent(value)}`)).toMatchObject({ status: 400, message: expect.stringMatching(/^subject: a reference is/) });
    }
  });

  it("string parameters are case- and accent-insensitive; :exact keeps the text; empty is refused", () => {
    expect(only(q("Patient", "name=Ëlise"))).toEqual([{ kind: "string", text: "elise" }]);
    expect(only(q("Patient", "name:exact=Ëlise"))).toEqual([{ kind: "string", text: "Ëlise" }]);
    expect(q("Patient", "name:contains=VRIES").clauses[0]).toMatchObject({ modifier: "contains", values: [{ kind: "string", text: "vries" }] });
    expect(only(q("Patient", "name=de\\,Vries,Jansen"))).toEqual([{ kind: "string", text: "de,vries" }, { kind: "string", text: "jansen" }]);
    expect(refused("Patient", "name=")).toMatchObject({ status: 400, message: "name: an empty string" });
  });

  it("quantities: prefix, number with its precision, system and code (STU3 §2.1.1.3)", () => {
    expect(only(q("Observation", "value-quantity=5.4|http://unitsofmeasure.org|mmol/L"))).toEqual([
      { kind: "quantity", prefix: "eq", value: 5.4, precision: expect.closeTo(0.05, 10) as unknown as number, system: "http://unitsofmeasure.org", code: "mmol/L" },
    ]);
    expect(only(q("Observation", "value-quantity=gt100||mm[Hg]"))).toEqual([{ kind: "quantity", prefix: "gt", value: 100, precision: 0.5, system: undefined, code: "mm[Hg]" }]);
    expect(only(q("Observation", "value-quantity=le1e2"))).toMatchObject([{ prefix: "le", value: 100, precision: 50 }]);
    expect(refused("Observation", "value-quantity=veel")).toMatchObject({ status: 400, message: expect.stringMatching(/is not a quantity/) });
    expect(refused("Observation", "value-quantity=gt")).toMatchObject({ status: 400 });
  });

  it("numbers: prefixes and precision", () => {
    expect(only(q("Immunization", "dose-sequence=2"))).toEqual([{ kind: "number", prefix: "eq", value: 2, precision: 0.5 }]);
    expect(only(q("Immunization", "dose-sequence=ge2.50"))).toMatchObject([{ prefix: "ge", value: 2.5, precision: expect.closeTo(0.005, 10) }]);
    expect(refused("Immunization", "dose-sequence=two")).toMatchObject({ status: 400, message: expect.stringMatching(/is not a number/) });
  });

  it("token :not is supported; :text, :in, :below and other modifiers are refused clearly (STU3 §2.1.1.2: never ignored)", () => {
    expect(q("Condition", "clinical-status:not=resolved").clauses[0]).toMatchObject({ param: "clinical-status", modifier: "not", values: [{ kind: "token", token: { code: "resolved" } }] });
    for (const query of ["code:text=bloeddruk", "code:in=http://x/vs", "code:below=http://loinc.org|85354", "code:exact=x", "date:not=2024", "subject:identifier=x|1"]) {
      const e = refused("Observation", query);
      expect(e).toMatchObject({ status: 400, code: "not-supported", message: expect.stringMatching(/^modifier :\w+ is not supported on /) });
    }
    // Even with lenient handling: a modifier the server does not apply would silently widen the answer.
    expect(() => q("Observation", "code:text=x", { strict: false })).toThrow(SearchError);
  });

  it(":missing takes true or false only", () => {
    expect(q("Observation", "value-quantity:missing=true").clauses[0]).toMatchObject({ modifier: "missing", values: [{ kind: "missing", missing: true }] });
    expect(refused("Observation", "date:missing=yes")).toMatchObject({ status: 400, message: expect.stringMatching(/true or false/) });
  });

  it("chained parameters and _include:iterate are refused as not supported", () => {
    expect(refused("Observation", "subject.name=Jansen")).toMatchObject({ status: 400, code: "not-supported", message: expect.stringMatching(/chained/) });
    expect(refused("Observation", "subject:Patient.name=Jansen")).toMatchObject({ status: 400, code: "not-supported" });
    expect(refused("MedicationStatement", "_include:iterate=Medication:manufacturer")).toMatchObject({ status: 400, code: "not-supported" });
  });

  it("unknown parameters are ignored (STU3 §2.1.1.1), left out of what was applied, and an error with Prefer: handling=strict", () => {
    const s = q("Observation", "status=final&nonsense=1&_summary=count&_elements=id&code:foo:bar=1");
    expect(s.clauses.map((c) => c.param)).toEqual(["status"]);
    expect(s.ignored).toEqual(["nonsense", "_summary", "_elements", "code:foo:bar"]);
    expect(s.applied).toEqual([["status", "final"]]);
    expect(refused("Observation", "status=final&nonsense=1", { strict: true })).toMatchObject({ status: 400, code: "not-supported", message: expect.stringMatching(/^nonsense: not a search parameter of Observation/) });
    expect(refused("Observation", "_summary=count", { strict: true })).toMatchObject({ status: 400, message: expect.stringMatching(/^_summary: not supported/) });
    // A parameter of another type is unknown here too.
    expect(q("Patient", "category=x").ignored).toEqual(["category"]);
  });

  it("parameters the caller handles (paging, _format) are neither applied nor ignored", () => {
    const s = q("Observation", "_format=xml&status=final", { passThrough: new Set(["_format"]) });
    expect([s.applied, s.ignored]).toEqual([[["status", "final"]], []]);
  });

  it("control characters and oversized values are refused before anything is read", () => {
    expect(refused("Observation", "status=fi%00nal")).toMatchObject({ status: 400, message: expect.stringMatching(/unusable value/) });
    expect(refused("Observation", `status=${"x".repeat(1025)}`)).toMatchObject({ status: 400 });
    expect(refused("Observation", `code=${Array.from({ length: 51 }, (_, i) => `c${i}`).join(",")}`)).toMatchObject({ status: 400, code: "too-costly" });
  });
});

describe("G-6: _count, _offset, _sort, _include, _revinclude, $lastn max", () => {
  it("_count: the default, the maximum, 0 (only the total), and what is not a count", () => {
    expect(q("Observation", "").count).toBe(50);
    expect(q("Observation", "", { defaultCount: 20 }).count).toBe(20);
    expect(q("Observation", "_count=7")).toMatchObject({ count: 7, applied: [["_count", "7"]] });
    expect(q("Observation", "_count=0").count).toBe(0);
    // Above the maximum: the maximum, and the self link says so.
    expect(q("Observation", "_count=900", { maxCount: 500 })).toMatchObject({ count: 500, applied: [["_count", "500"]] });
    expect(q("Observation", "_count=9999")).toMatchObject({ count: 1000 });
    for (const bad of ["-1", "1.5", "ten", "", "10000", "1e3"]) {
      expect(refused("Observation", `_count=${bad}`)).toMatchObject({ status: 400, code: "invalid", message: expect.stringMatching(/_count/) });
    }
  });

  it("_offset: applied when above 0, refused when not a number", () => {
    expect(q("Observation", "_offset=0")).toMatchObject({ offset: 0, applied: [] });
    expect(q("Observation", "_offset=20")).toMatchObject({ offset: 20, applied: [["_offset", "20"]] });
    expect(refused("Observation", "_offset=-5")).toMatchObject({ status: 400 });
  });

  it("_sort: ascending, descending, several keys, of the type's own parameters; reference keys and unknown ones are refused", () => {
    expect(q("Observation", "_sort=-date,code,_lastUpdated").sort).toEqual([
      { param: "date", type: "date", descending: true },
      { param: "code", type: "token", descending: false },
      { param: "_lastUpdated", type: "date", descending: false },
    ]);
    expect(refused("Observation", "_sort=patient")).toMatchObject({ status: 400, code: "not-supported", message: "_sort by patient is not supported" });
    expect(refused("Observation", "_sort=nonsense")).toMatchObject({ status: 400, code: "not-supported" });
    expect(refused("Observation", "_sort=birthdate")).toMatchObject({ status: 400 });
  });

  it("_include in the 2-part and 3-part forms (Nictiz: Coverage:payor:Patient and Coverage:payor:Organization)", () => {
    expect(q("MedicationStatement", "_include=MedicationStatement:medication").includes).toEqual([{ sourceType: "MedicationStatement", param: "medication", targetType: undefined }]);
    const cov = q("Coverage", "_include=Coverage:payor:Patient&_include=Coverage:payor:Organization");
    expect(cov.includes).toEqual([
      { sourceType: "Coverage", param: "payor", targetType: "Patient" },
      { sourceType: "Coverage", param: "payor", targetType: "Organization" },
    ]);
    expect(cov.applied).toEqual([["_include", "Coverage:payor:Patient"], ["_include", "Coverage:payor:Organization"]]);
    expect(q("Patient", "_revinclude=Observation:subject").revincludes).toEqual([{ sourceType: "Observation", param: "subject", targetType: undefined }]);
  });

  it.each<[string, string, RegExp]>([
    ["Observation", "_include=Observation", /is not Type:parameter/],
    ["Observation", "_include=*", /is not Type:parameter/],
    ["Observation", "_include=Observation:subject:Patient:x", /is not Type:parameter/],
    ["Observation", "_include=Observation:code", /is not a reference search parameter/],
    ["Observation", "_include=Observation:nonsense", /is not a reference search parameter/],
    ["Observation", "_include=Observation:performer:Medication", /cannot refer to Medication/],
    ["Observation", "_include=observation:subject", /is not Type:parameter/],
    ["Patient", "_include=Observation:subject", /does not start at Patient/],
  ])("%s?%s is refused", (type, query, message) => {
    expect(refused(type, query)).toMatchObject({ status: 400, message: expect.stringMatching(message) });
  });

  it("at most 20 includes", () => {
    const many = Array.from({ length: 21 }, () => "_include=Observation:subject").join("&");
    expect(refused("Observation", many)).toMatchObject({ status: 400, code: "too-costly" });
  });

  it("$lastn: max is 1 by default, 1..999, applied; outside $lastn, max is an unknown parameter", () => {
    expect(q("Observation", "code=http://loinc.org|85354-9", { lastn: true }).lastn).toEqual({ max: 1 });
    expect(q("Observation", "max=3", { lastn: true })).toMatchObject({ lastn: { max: 3 }, applied: [["max", "3"]] });
    for (const bad of ["0", "1000", "-1", "x"]) expect(refused("Observation", `max=${bad}`, { lastn: true })).toMatchObject({ status: 400, message: expect.stringMatching(/max/) });
    expect(q("Observation", "max=3")).toMatchObject({ lastn: undefined, ignored: ["max"] });
  });
});

describe("indexing at write time: the same intervals and tokens the search reads", () => {
  const obs = {
    resourceType: "Observation",
    id: "o1",
    status: "final",
    category: [{ coding: [{ system: "http://hl7.org/fhir/observation-category", code: "vital-signs" }] }],
    code: { coding: [{ system: "http://loinc.org", code: "29463-7" }] },
    subject: { reference: `${BASE}/Patient/p1` },
    performer: [{ reference: "Practitioner/pr1" }, { reference: "https://elsewhere.example.nl/Organization/o9" }],
    effectiveDateTime: "2024-03-01T00:30:00+01:00",
    valueQuantity: { value: 81.5, unit: "kg", system: "http://unitsofmeasure.org", code: "kg" },
  };

  it("tokens, dates, references (local ones only), quantities; the Patient reference places it in the compartment", () => {
    const { rows, patientIds, bsns } = indexResource(obs, [BASE]);
    expect(rows.tokens).toEqual(expect.arrayContaining([["code", "http://loinc.org", "29463-7"], ["category", "http://hl7.org/fhir/observation-category", "vital-signs"], ["status", null, "final"]]));
    expect(rows.dates).toContainEqual(["date", utc("2024-02-29T23:30:00Z"), utc("2024-02-29T23:30:01Z")]);
    expect(rows.references).toEqual(expect.arrayContaining([["subject", "Patient", "p1"], ["patient", "Patient", "p1"], ["performer", "Practitioner", "pr1"]]));
    expect(rows.references.some(([, t]) => t === "Organization")).toBe(false);
    expect(rows.quantities).toContainEqual(["value-quantity", 81.5, "http://unitsofmeasure.org", "kg"]);
    expect(patientIds).toEqual(["p1"]);
    expect(bsns).toEqual([]);
    // What was indexed is what a search value means: the stored interval is February in UTC.
    const [, lo, hi] = rows.dates.find(([p]) => p === "date")!;
    expect(dateMatches({ lo, hi }, cond("2024-02"))).toBe(true);
    expect(dateMatches({ lo, hi }, cond("2024-03"))).toBe(false);
  });

  it("a Patient is tied to its Person by its BSN identifier; a reference by BSN identifier names the Person too", () => {
    const patient = { resourceType: "Patient", id: "p1", identifier: [{ system: "http://fhir.nl/fhir/NamingSystem/bsn", value: "999990019" }, { system: "urn:oid:2.16.840.1.113883.2.4.6.3", value: "123" }] };
    expect(indexResource(patient, []).bsns).toEqual(["999990019"]);
    const byBsn = { resourceType: "Condition", subject: { identifier: { system: "http://fhir.nl/fhir/NamingSystem/bsn", value: "999990020" } } };
    expect(indexResource(byBsn, [])).toMatchObject({ patientIds: [], bsns: ["999990020"] });
  });

  it("strings are indexed normalized and exact; a Period as a range", () => {
    const patient = { resourceType: "Patient", name: [{ family: "de Vriës", given: ["Petra"] }] };
    expect(indexResource(patient, []).rows.strings).toEqual(expect.arrayContaining([["family", "de vries", "de Vriës"], ["name", "petra", "Petra"]]));
    const enc = { resourceType: "Encounter", status: "finished", period: { start: "2024-01-10", end: "2024-01-12" } };
    expect(indexResource(enc, []).rows.dates).toContainEqual(["date", utc("2024-01-10"), utc("2024-01-13")]);
  });
});

describe("G-6: the searchset's links", () => {
  const parts = { base: BASE, path: "Observation", total: 5, entries: [] };

  it("self names exactly the parameters applied, in request order, with | , : and / kept readable", () => {
    const s = q("Observation", "code=http://loinc.org|85354-9,http://loinc.org|29463-7&nonsense=1&date=ge2024-03-01T10:00:00%2B01:00");
    const url = searchUrl(BASE, "Observation", s.applied);
    expect(url).toBe(`${BASE}/Observation?code=http://loinc.org|85354-9,http://loinc.org|29463-7&date=ge2024-03-01T10:00:00%2B01:00`);
    // The self link, read back, is the same search.
    expect(q("Observation", new URL(url).search.slice(1)).applied).toEqual(s.applied);
  });

  it("next and previous keep the applied parameters and move _offset by _count; no next on the last page", () => {
    const links = (offset: number, count: number, total: number) =>
      (JSON.parse(searchsetText({ ...parts, applied: [["status", "final"], ["_count", String(count)], ...(offset > 0 ? [["_offset", String(offset)] as [string, string]] : [])], paging: { offset, count, total } })) as { link: { relation: string; url: string }[] }).link;
    expect(links(0, 2, 5)).toEqual([
      { relation: "self", url: `${BASE}/Observation?status=final&_count=2` },
      { relation: "next", url: `${BASE}/Observation?status=final&_count=2&_offset=2` },
    ]);
    expect(links(2, 2, 5).map((l) => [l.relation, new URL(l.url).searchParams.get("_offset")])).toEqual([["self", "2"], ["next", "4"], ["previous", null]]);
    expect(links(4, 2, 5).map((l) => l.relation)).toEqual(["self", "previous"]);
    // _count=0: only the total, no paging links.
    expect(links(0, 0, 5).map((l) => l.relation)).toEqual(["self"]);
  });

  it("entries have absolute fullUrls and their search mode; no matches means no entry element at all", () => {
    const b = JSON.parse(searchsetText({ ...parts, applied: [], entries: [{ type: "Observation", id: "o1", body: { text: '{"resourceType":"Observation","id":"o1"}' }, mode: "match" }, { type: "Practitioner", id: "pr1", body: { json: { resourceType: "Practitioner", id: "pr1" } }, mode: "include" }] })) as { total: number; entry: { fullUrl: string; search: { mode: string } }[] };
    expect(b.entry.map((e) => [e.fullUrl, e.search.mode])).toEqual([[`${BASE}/Observation/o1`, "match"], [`${BASE}/Practitioner/pr1`, "include"]]);
    expect(JSON.parse(searchsetText({ ...parts, total: 0, applied: [] }))).not.toHaveProperty("entry");
  });
});

describe("G-6: which format is asked for (_format, then Accept with q-values)", () => {
  const u = (query = "") => new URL(`${BASE}/Patient${query}`);
  it.each<[string, string | null, string]>([
    ["", null, "json"],
    ["", "*/*", "json"],
    ["", "application/fhir+xml", "xml"],
    ["", "application/xml+fhir", "xml"],
    ["", "application/json+fhir", "json"],
    ["", "text/xml", "xml"],
    ["", "application/fhir+json;q=0.5, application/fhir+xml;q=0.9", "xml"],
    ["", "application/fhir+xml;q=0.1, application/fhir+json", "json"],
    ["", "text/html, application/fhir+xml;q=0.2", "xml"],
    ["", "application/fhir+xml;q=0, application/fhir+json;q=0.1", "json"],
    ["", "application/fhir+json;q=0, */*", "xml"],
    ["", "application/json+fhir;q=0, application/*", "xml"],
    ["?_format=json", "application/fhir+xml", "json"],
    ["?_format=xml", "application/fhir+json", "xml"],
    ["?_format=application/fhir%2Bxml", null, "xml"],
    ["?_format=text/xml", null, "xml"],
  ])("_format %s, Accept %s: %s", (query, accept, format) => {
    expect(responseFormat(u(query), accept)).toEqual({ ok: true, format, raw: false });
  });

  it("no FHIR format at all is refused (the RS answers 406); so is _format twice", () => {
    expect(responseFormat(u(), "text/html")).toMatchObject({ ok: false });
    // RFC 7231 §5.3.1: q=0 is "not acceptable", not "no preference".
    expect(responseFormat(u(), "application/fhir+json;q=0")).toMatchObject({ ok: false });
    expect(responseFormat(u(), "application/fhir+json;q=0, application/fhir+xml;q=0, */*")).toMatchObject({ ok: false });
    expect(responseFormat(u("?_format=html"), null)).toMatchObject({ ok: false, reason: expect.stringMatching(/not a FHIR format/) });
    expect(responseFormat(u("?_format=json&_format=xml"), null)).toMatchObject({ ok: false, reason: expect.stringMatching(/more than once/) });
  });

  it("a Binary read that names no FHIR format, or a non-FHIR type, gets the document itself", () => {
    expect(responseFormat(u(), null, "*")).toEqual({ ok: true, format: "json", raw: true });
    expect(responseFormat(u(), "application/pdf", "*")).toEqual({ ok: true, format: "json", raw: true });
    expect(responseFormat(u(), "application/fhir+json", "*")).toEqual({ ok: true, format: "json", raw: false });
    expect(responseFormat(u(), "application/pdf;q=0.5, application/fhir+xml", "*")).toEqual({ ok: true, format: "xml", raw: false });
    expect(responseFormat(u("?_format=json"), null, "*")).toEqual({ ok: true, format: "json", raw: false });
  });

  it("request bodies: FHIR JSON or FHIR XML by Content-Type, anything else is not FHIR (415)", () => {
    expect(requestFormat("application/fhir+json; charset=utf-8")).toBe("json");
    expect(requestFormat("application/fhir+xml")).toBe("xml");
    expect(requestFormat("text/plain")).toBeUndefined();
    expect(requestFormat(null)).toBeUndefined();
  });
});
