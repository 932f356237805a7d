/**
 * Whole runs against a fake transport with a handful of canned answers: what the engine sends (URLs, headers,
 * bodies, tokens), what it concludes (the report), and how setup failures, stopTestOnFail, transport errors and
 * unsupported actions play out.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import {
  encodeRequestUrl, formatReport, hasFailures, parseFhirXml, runLoadScript, runTestScript, validateProfile, type ScriptReport,
} from "./index.mjs";
import { NICTIZ, assertAction, fakeFetch, oneTest, searchOperation, searchset, tempFiles, testScript, type SeenRequest } from "./helpers.ts";

const PDFA = join(NICTIZ, "PDFA-3-0/MedMij/Cert");
const BASE = "https://fhir.example/51/fhir";
const TODAY = "2024-03-01";

/** A fixture as a server would hold it: dates filled in. */
function resource(path: string): Record<string, unknown> {
  return parseFhirXml(readFileSync(join(NICTIZ, path), "utf8").replace(/\$\{DATE, T, D, ?(-?\d+)\}/g, "2024-01-01"));
}
const docRef = (n: number) => resource(`PDFA-3-0/MedMij/Cert/_reference/resources/medmij-pdfa-DocumentReference-kwalificatie${n}.xml`);
const binary = (n: number) => resource(`PDFA-3-0/MedMij/Cert/_reference/resources/medmij-pdfa-Binary-kwalificatie${n}.xml`);

function outcomes(report: ScriptReport) {
  return Object.fromEntries(report.tests.map((t) => [t.id, t.totals]));
}
const assertsOf = (report: ScriptReport, test: number) => report.tests[test]?.actions.filter((a) => a.kind === "assert") ?? [];

beforeAll(() => {
  validateProfile({ resourceType: "Basic" }, "http://hl7.org/fhir/StructureDefinition/Basic"); // compiles the schema (a few seconds)
}, 60_000);

describe("an XIS script against a server that answers as Nictiz expects", () => {
  /** DocumentReference search and Binary reads, for XXX_Baltus (example-pdfa-kwalificatie1). */
  const server = (request: SeenRequest) => {
    const path = new URL(request.url).pathname;
    if (path.endsWith("/DocumentReference")) return { body: searchset(request.url, [docRef(1), docRef(2)], BASE) };
    const match = /\/Binary\/pdfa-binary(\d)$/.exec(path);
    if (match) return { body: binary(Number(match[1])) };
    return { status: 404, body: { resourceType: "OperationOutcome", issue: [{ severity: "error", code: "not-found" }] } };
  };

  it("sends the scripted requests, follows the URLs taken from earlier responses, and passes", async () => {
    const { fetch, seen } = fakeFetch(server);
    const report = await runTestScript(join(PDFA, "XIS-Server/medmij-pdfa-xis-1-4-serve-2-pdfa-json.xml"), {
      baseUrl: `${BASE}/`, fetch, today: TODAY, tokenFor: { "example-pdfa-kwalificatie1": "Bearer real-baltus-token" },
    });
    expect(seen.map((r) => `${r.method} ${r.url}`)).toEqual([
      `GET ${BASE}/DocumentReference?status=current`,
      `GET ${BASE}/Binary/pdfa-binary1`,
      `GET ${BASE}/Binary/pdfa-binary2`,
    ]);
    for (const r of seen) {
      expect(r.headers).toMatchObject({ accept: "application/fhir+json", authorization: "Bearer real-baltus-token" });
      expect(r.headers["medmij-request-id"]).toMatch(/^[0-9a-f-]{36}$/);
    }
    expect(new Set(seen.map((r) => r.headers["x-correlation-id"])).size).toBe(1); // one per run
    expect(new Set(seen.map((r) => r.headers["medmij-request-id"])).size).toBe(3); // fresh per request
    expect(hasFailures(report)).toBe(false);
    expect(outcomes(report)).toEqual({
      "scenario1-4-serve-documentreference": { asserts: { passed: 21, failed: 0, warning: 0, notEvaluated: 0 }, operations: { passed: 1, failed: 0, notEvaluated: 0 } },
      "scenario1-4-serve-pdfa-document-1": { asserts: { passed: 3, failed: 0, warning: 0, notEvaluated: 0 }, operations: { passed: 1, failed: 0, notEvaluated: 0 } },
      "scenario1-4-serve-pdfa-document-2": { asserts: { passed: 3, failed: 0, warning: 0, notEvaluated: 0 }, operations: { passed: 1, failed: 0, notEvaluated: 0 } },
    });
    const validation = assertsOf(report, 0).find((a) => a.description.startsWith("Confirm that the returned Bundle conforms"));
    expect(validation?.notEvaluated?.[0]).toContain("http://nictiz.nl/fhir/StructureDefinition/IHE.MHD.Minimal.DocumentReference");
  });

  it("gets a document without an Accept header, and checks the raw PDF by its Content-Type", async () => {
    const pdf = new TextEncoder().encode("%PDF-1.7 ...");
    const { fetch, seen } = fakeFetch((request) => {
      if (request.url.includes("/DocumentReference")) return { body: searchset(request.url, [docRef(4)], BASE) };
      if (!request.headers.authorization) return { status: 401, body: { resourceType: "OperationOutcome", issue: [{ severity: "error", code: "login" }] } };
      return { contentType: "application/pdf", body: pdf };
    });
    const report = await runTestScript(join(PDFA, "XIS-Server/medmij-pdfa-xis-2-5-serve-1-pdfa-json.xml"), { baseUrl: BASE, fetch, today: TODAY });
    const [, get, unauthenticated] = seen;
    expect(get?.url).toBe("https://informatiestandaarden.nictiz.nl/images/2/29/Example_PDF_-_Discharge_Summary.pdf"); // docRef 4's absolute attachment url
    expect(get?.headers.accept).toBeUndefined();
    expect(unauthenticated?.headers.authorization).toBeUndefined();
    expect(report.tests[1]?.totals.asserts).toEqual({ passed: 2, failed: 0, warning: 0, notEvaluated: 0 });
    expect(report.tests[2]?.totals.asserts).toEqual({ passed: 2, failed: 0, warning: 0, notEvaluated: 0 });
  });
});

describe("an XIS script against a server that answers wrongly", () => {
  it("reports each failure with the actual value, and skips the rest of a test after a stopTestOnFail failure", async () => {
    const { fetch } = fakeFetch((request) => {
      if (!request.url.includes("/DocumentReference")) return { status: 404, body: { resourceType: "OperationOutcome", issue: [{ severity: "error", code: "not-found" }] } };
      const bundle = searchset(request.url.replace("status=current", "status=superseded"), [{ ...docRef(1), status: "bogus" }, docRef(2)], BASE);
      return { body: { ...bundle, type: "collection" } };
    });
    const report = await runTestScript(join(PDFA, "XIS-Server/medmij-pdfa-xis-1-4-serve-2-pdfa-json.xml"), { baseUrl: BASE, fetch, today: TODAY });
    expect(hasFailures(report)).toBe(true);
    const search = assertsOf(report, 0);
    expect(search.filter((a) => a.outcome === "failed").map((a) => [a.description, a.message])).toEqual([
      ["Confirm that the returned Bundle type is searchset.", 'expected Bundle.type equals "searchset", got "collection"'],
      ["Confirm that the returned Bundle conforms to the base FHIR specification and the resources to the stated profiles in the meta.profile tag.", expect.stringContaining("/entry/0/resource/status: must be equal to one of the allowed values (current, superseded, entered-in-error)")],
    ]);
    expect(search.filter((a) => a.outcome === "warning").map((a) => a.message)).toEqual(["The requested parameter status=current was absent from the self link"]);
    const binaryRead = assertsOf(report, 1);
    expect(binaryRead.map((a) => a.outcome)).toEqual(["failed", "notEvaluated", "notEvaluated"]);
    expect(binaryRead[0]?.message).toBe('expected the status in ["200", "201"], got "404"');
    expect(binaryRead[1]?.message).toBe("an earlier assert with stopTestOnFail failed");

    const text = formatReport(report);
    expect(text).toContain("scenario1-4-serve-documentreference (Scenario 1.4): 18 passed, 2 failed, 1 warning, 0 not evaluated; 1 operation performed");
    expect(text).toContain('    FAILED Confirm that the returned Bundle type is searchset.: expected Bundle.type equals "searchset", got "collection"');
    expect(text).toContain("    WARNING Confirm that the parameters in the request URL are all handled by the server, by inspecting the self link.: The requested parameter status=current was absent from the self link");
    expect(text).toContain("    NOT EVALUATED (2): an earlier assert with stopTestOnFail failed");
    expect(text).toContain(`    GET ${BASE}/Binary/pdfa-binary1 -> 404`);
  });
});

describe("a load script", () => {
  const LOAD = join(NICTIZ, "SelfMeasurements-2-0/MedMij/Cert/_LoadResources/load-resources-purgecreateupdate-xml.xml");

  it("purges each patient, then PUTs each fixture as XML with its dates filled in and the caller's tokens", async () => {
    const { fetch, seen } = fakeFetch((r) => ({ status: r.method === "PUT" ? 201 : 200, body: r.method === "PUT" ? r.body : undefined, contentType: "application/fhir+xml" }));
    const report = await runLoadScript(LOAD, {
      baseUrl: BASE, fetch, today: TODAY,
      tokenFor: { "selfmeasurement-patient-kwalificatie1": "Bearer real-1", "selfmeasurement-patient-kwalificatie2": "Bearer real-2" },
    });
    expect(hasFailures(report)).toBe(false);
    expect(report.setup?.totals.operations.passed).toBe(2);
    const [purge1, purge2, ...puts] = seen;
    expect([purge1, purge2].map((r) => [r?.method, r?.url, r?.body, r?.headers.authorization])).toEqual([
      ["POST", `${BASE}/Patient/selfmeasurement-patient-kwalificatie1/$purge`, undefined, "Bearer real-1"],
      ["POST", `${BASE}/Patient/selfmeasurement-patient-kwalificatie2/$purge`, undefined, "Bearer real-2"],
    ]);
    expect(puts).toHaveLength(13);
    for (const put of puts) {
      expect(put.method).toBe("PUT");
      expect(put.headers["content-type"]).toBe("application/fhir+xml");
      expect(put.body).not.toContain("${");
      const sent = parseFhirXml(put.body ?? "");
      expect(put.url).toBe(`${BASE}/${String(sent.resourceType)}/${String(sent.id)}`);
    }
    const bodyWeight = puts.find((p) => p.url.endsWith("/Observation/selfmeasurements-bodyweight-kwalificatie1"));
    expect(bodyWeight?.body).toContain('<effectiveDateTime value="2024-02-05"/>'); // ${DATE, T, D, -25}, T = today
  });

  it("skips every test when setup fails, and says so", async () => {
    const { fetch, seen } = fakeFetch(() => ({ status: 404, body: { resourceType: "OperationOutcome", issue: [{ severity: "error", code: "not-supported" }] } }));
    const report = await runLoadScript(LOAD, { baseUrl: BASE, fetch, today: TODAY });
    expect(seen).toHaveLength(1); // the first purge fails; nothing else is sent
    expect(report.setup?.totals).toEqual({ asserts: { passed: 0, failed: 1, warning: 0, notEvaluated: 1 }, operations: { passed: 1, failed: 0, notEvaluated: 1 } });
    expect(report.tests[0]?.totals.asserts.notEvaluated).toBe(13);
    expect(report.tests[0]?.actions.every((a) => a.outcome === "notEvaluated" && a.message === "the setup failed")).toBe(true);
    expect(hasFailures(report)).toBe(true);
  });
});

describe("a transaction with a JSON fixture", () => {
  it("POSTs the fixture to the base, as JSON, dates filled in", async () => {
    const { fetch, seen } = fakeFetch(() => ({ body: { resourceType: "Bundle", type: "transaction-response", entry: [] } }));
    await runTestScript(join(PDFA, "XIS-Server/medmij-pdfa-xis-3-1-receive-1-document-json.xml"), { baseUrl: BASE, fetch, today: TODAY });
    const [post] = seen;
    expect([post?.method, post?.url, post?.headers["content-type"], post?.headers.accept]).toEqual(["POST", BASE, "application/fhir+json", "application/fhir+json"]);
    const sent = JSON.parse(post?.body ?? "{}");
    expect(sent).toMatchObject({ resourceType: "Bundle", type: "transaction" });
    expect(post?.body).not.toContain("${");
  });
});

describe("failures of the engine's own making", () => {
  it("a transport error fails the operation; the asserts on it are not evaluated", async () => {
    const dir = tempFiles({ "s.xml": testScript(oneTest(searchOperation("Patient", "?name=x") + assertAction(`<responseCode value="200"/>`) + assertAction(`<resource value="Bundle"/>`))) });
    const report = await runTestScript(join(dir, "s.xml"), { baseUrl: BASE, fetch: async () => { throw new TypeError("fetch failed", { cause: new Error("connect ECONNREFUSED 127.0.0.1:9") }); } });
    expect(report.tests[0]?.actions.map((a) => [a.outcome, a.message])).toEqual([
      ["failed", "no response: fetch failed: connect ECONNREFUSED 127.0.0.1:9"],
      ["notEvaluated", "the operation before it failed: no response: fetch failed: connect ECONNREFUSED 127.0.0.1:9"],
      ["notEvaluated", "the operation before it failed: no response: fetch failed: connect ECONNREFUSED 127.0.0.1:9"],
    ]);
    expect(hasFailures(report)).toBe(true);
  });

  it("an unsupported operation is not performed, an unresolvable variable fails the request", async () => {
    const dir = tempFiles({
      "s.xml": testScript(oneTest(
        `<action><operation><type><code value="search"/></type><resource value="Patient"/><targetId value="x"/></operation></action>` +
        assertAction(`<resource value="Bundle"/>`) +
        searchOperation("Patient", "?name=${missing}") + assertAction(`<resource value="Bundle"/>`),
      )),
    });
    const { fetch, seen } = fakeFetch(() => ({ body: { resourceType: "Bundle", type: "searchset" } }));
    const report = await runTestScript(join(dir, "s.xml"), { baseUrl: BASE, fetch });
    expect(seen).toHaveLength(0);
    expect(report.unsupported).toEqual(["TestScript.test[0].action[0].operation.targetId"]);
    expect(report.tests[0]?.actions.map((a) => [a.kind, a.outcome, a.message])).toEqual([
      ["operation", "notEvaluated", "not supported by this engine: TestScript.test[0].action[0].operation.targetId"],
      ["assert", "notEvaluated", "the operation before it was not performed (not supported)"],
      ["operation", "failed", "the request cannot be built: unknown variable or placeholder ${missing}"],
      ["assert", "notEvaluated", "the operation before it failed: the request cannot be built: unknown variable or placeholder ${missing}"],
    ]);
  });
});

describe("onRequest", () => {
  it("sees each request before it is sent, and may change its headers", async () => {
    const dir = tempFiles({ "s.xml": testScript(oneTest(searchOperation("Patient", "?name=x") + assertAction(`<direction value="request"/><headerField value="x-extra"/><value value="yes"/>`))) });
    const { fetch, seen } = fakeFetch((r) => ({ body: searchset(r.url, []) }));
    const observed: string[] = [];
    const report = await runTestScript(join(dir, "s.xml"), {
      baseUrl: BASE, fetch,
      onRequest: (request) => {
        observed.push(`${request.method} ${request.url}`);
        request.headers["x-extra"] = "yes";
      },
    });
    expect(observed).toEqual([`GET ${BASE}/Patient?name=x`]);
    expect(seen[0]?.headers["x-extra"]).toBe("yes");
    expect(report.tests[0]?.totals.asserts.passed).toBe(1);
  });
});

describe("the report never shows a token or a BSN", () => {
  it("redacts Authorization values, Nictiz's tokens and BSNs in messages, values and URLs", async () => {
    const dir = tempFiles({
      "s.xml": testScript(oneTest(
        searchOperation("Patient", "?identifier=http://fhir.nl/fhir/NamingSystem/bsn|999911533", `<requestHeader><field value="Authorization"/><value value="Bearer 93cde269-ce35-4077-a39d-19296670e949"/></requestHeader>`) +
        assertAction(`<direction value="request"/><headerField value="Authorization"/><value value="Bearer something-else"/>`) +
        assertAction(`<expression value="Bundle.entry.resource.identifier.value"/><value value="x"/>`),
      )),
    });
    const { fetch, seen } = fakeFetch((r) => ({ body: searchset(r.url, [{ resourceType: "Patient", id: "p", identifier: [{ system: "http://fhir.nl/fhir/NamingSystem/bsn", value: "999911533" }] }]) }));
    const report = await runTestScript(join(dir, "s.xml"), { baseUrl: BASE, fetch, tokenFor: { "medmij-bgz-patient-ts-01": "Bearer the-real-secret-token" } });
    expect(seen[0]?.headers.authorization).toBe("Bearer the-real-secret-token");
    const everything = JSON.stringify(report) + formatReport(report);
    expect(everything).not.toContain("the-real-secret-token");
    expect(everything).not.toContain("93cde269-ce35-4077-a39d-19296670e949");
    expect(everything).not.toContain("999911533");
    expect(report.tests[0]?.actions[0]).toMatchObject({ url: `${BASE}/Patient?identifier=http://fhir.nl/fhir/NamingSystem/bsn%7C[BSN]` });
    expect(report.tests[0]?.actions[2]).toMatchObject({ outcome: "failed", actual: '"[BSN]"' });
  });
});

describe("encodeRequestUrl", () => {
  it("encodes query values so they reach the server as written, and leaves the base and path operators alone", () => {
    expect(encodeRequestUrl(`${BASE}/Observation/$lastn?code=http://loinc.org|8302-2,http://loinc.org|8306-3&_include=Observation:specimen`, BASE))
      .toBe(`${BASE}/Observation/$lastn?code=http://loinc.org%7C8302-2,http://loinc.org%7C8306-3&_include=Observation:specimen`);
    expect(encodeRequestUrl(`${BASE}/Observation?date=ge2024-01-01T00:00:00+01:00&name=a b&x=1=2&already=%20`, BASE))
      .toBe(`${BASE}/Observation?date=ge2024-01-01T00:00:00%2B01:00&name=a%20b&x=1%3D2&already=%20`);
    expect(encodeRequestUrl("https://other.example/x y/Binary/é", BASE)).toBe("https://other.example/x%20y/Binary/%C3%A9");
    const decoded = new URL(encodeRequestUrl(`${BASE}/Observation?code=http://loinc.org|85354-9`, BASE)).searchParams.get("code");
    expect(decoded).toBe("http://loinc.org|85354-9");
  });
});
