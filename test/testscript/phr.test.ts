/**
 * Server mode: every PHR-side script, run against a stand-in PGO through the server double, passes (the gate);
 * and a PGO that misbehaves fails the asserts that are about its misbehaviour.
 *
 * The stand-in PGO is written here, from a reading of the scripts, not with the engine's request building: for
 * four scripts its requests are listed by hand; for the rest they are generated from the scripted operations the
 * way a PGO's HTTP library would send them (values percent-encoded with encodeURIComponent, parameters and OR lists
 * in reverse order, `$lastn` encoded as `%24lastn`, the send Bundles as FHIR XML), with its own date arithmetic.
 */
import { readFileSync } from "node:fs";
import { basename } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import {
  createPhrServer, evaluatePhrScript, formatReport, hasFailures, listPhrScripts, loadTestScript, parseFhirXml, patientForTokenFrom,
  recordExchanges, runPhrScript, validateProfile, type PhrServer, type RecordedExchange, type ScriptReport, type TestScript,
} from "./index.mjs";
import { NICTIZ } from "./helpers.ts";
import { createNictizSim } from "../peers/nictiz-sim.mjs";

const BASE = "https://fhir.nictiz-sim.localhost/48/fhir";
const TODAY = "2026-03-15";
const QUALIFICATION: { accessToken: string; resourceId: string }[] = JSON.parse(readFileSync(`${NICTIZ}/QualificationTokens.json`, "utf8"));
const PATIENTS = [
  "example-pdfa-kwalificatie1", "example-pdfa-kwalificatie2", "example-pdfa-kwalificatie3", "laboratoryresults-patient-kwalificatie1",
  "medmij-bgz-patient-ts-01", "medmij-bgz-patient-ts-02", "selfmeasurement-patient-kwalificatie1", "selfmeasurement-patient-kwalificatie2",
];
/** The tokens "issued" to the PGO: not Nictiz's. */
const tokenFor = Object.fromEntries(PATIENTS.map((p) => [p, `Bearer issued-${p.length}-${p}`]));
const options = { baseUrl: BASE, tokenFor, today: TODAY };

type Send = (request: Request) => Promise<Response>;
type Json = Record<string, any>;

/** The token the PGO holds for the patient Nictiz's token in a script stands for. */
function issued(nictizAuthorization: string): string {
  const patient = QUALIFICATION.find((q) => q.accessToken === nictizAuthorization)?.resourceId;
  const token = patient === undefined ? undefined : tokenFor[patient];
  if (token === undefined) throw new Error(`no issued token for ${nictizAuthorization}`);
  return token;
}

/** YYYY-MM-DD, `days` from TODAY. */
function day(days: number): string {
  const d = new Date(`${TODAY}T12:00:00Z`);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}
/** The stand-in's own filling of Nictiz's date placeholders. */
function fill(text: string): string {
  const out = text.replace(/\$\{DATE, T, D, ?(-?\d+)\}/g, (_, n: string) => day(Number(n))).replace(/\$\{CURRENTDATE\}/g, TODAY);
  if (out.includes("${")) throw new Error(`the stand-in cannot fill ${out}`);
  return out;
}

const get = (send: Send, path: string, token: string, headers: Record<string, string> = {}) =>
  send(new Request(`${BASE}/${path}`, { headers: { authorization: token, ...headers } }));
const post = (send: Send, body: string, token: string, contentType: string) =>
  send(new Request(BASE, { method: "POST", headers: { authorization: token, "content-type": contentType }, body }));

/** A fixture of a script, its text. */
function fixtureText(script: TestScript, id: string): string {
  const fixture = script.fixtures[id];
  if (!fixture) throw new Error(`no fixture ${id}`);
  return fixture.text;
}

/** Requests listed by hand, from reading the scripts. */
const HAND_LISTED: Record<string, (send: Send, script: TestScript) => Promise<void>> = {
  "selfmeasurements-phr-1-5-retrieve-period-bloodpressure.xml": async (send) => {
    await get(send, `Observation?code=http%3A%2F%2Floinc.org%7C85354-9&date=ge${day(-100)}&date=le${day(-50)}`, tokenFor["selfmeasurement-patient-kwalificatie1"]!);
  },
  "medmij-pdfa-phr-1-3-retrieve-2-binary.xml": async (send) => {
    for (const id of ["pdfa-binary1", "pdfa-binary2"]) await get(send, `Binary/${id}`, tokenFor["example-pdfa-kwalificatie1"]!, { accept: "application/pdf" });
  },
  "medmij-pdfa-phr-2-2-retrieve-1-documentreference.xml": async (send) => {
    await get(send, "DocumentReference/pdfa-documentreference4", tokenFor["example-pdfa-kwalificatie2"]!, { accept: "application/fhir+json" });
  },
  "selfmeasurements-phr-2-1-send-most-recent-bodyweight.xml": async (send, script) => {
    const bundle = parseFhirXml(fill(fixtureText(script, "scenario-2-1-bundle-fixture")));
    await post(send, JSON.stringify(bundle), tokenFor["selfmeasurement-patient-kwalificatie2"]!, "application/fhir+json");
  },
};

/** A PGO's request for a scripted operation, as an HTTP library would put it. */
async function generated(send: Send, script: TestScript) {
  for (const test of script.tests) {
    for (const action of test.actions) {
      if (action.kind !== "operation") continue;
      const op = action.operation;
      const token = issued(op.requestHeaders.find((h) => h.field === "Authorization")?.value ?? "");
      if (op.type === "batch" || op.type === "transaction") {
        await post(send, fill(fixtureText(script, op.sourceId ?? "")), token, "application/fhir+xml");
        continue;
      }
      const params = fill(op.params ?? "");
      const q = params.indexOf("?");
      const path = [op.resource ?? "", ...(q < 0 ? params : params.slice(0, q)).split("/").filter(Boolean)].map(encodeURIComponent).join("/");
      const query = q < 0 ? [] : params.slice(q + 1).split("&").reverse().map((pair) => {
        const [name = "", value = ""] = pair.split(/=(.*)/s);
        return `${name}=${value.split(",").reverse().map(encodeURIComponent).join(",")}`;
      });
      await get(send, `${path}${query.length ? `?${query.join("&")}` : ""}`, token);
    }
  }
}

const conformingPgo = (path: string) => HAND_LISTED[basename(path)] ?? generated;

let server: PhrServer;
const SCRIPTS = listPhrScripts();
const pathOf = (name: string) => {
  const path = SCRIPTS.find((p) => basename(p) === name);
  if (!path) throw new Error(`no script ${name}`);
  return path;
};

beforeAll(async () => {
  server = await createPhrServer({ baseUrl: BASE, patientForToken: patientForTokenFrom(tokenFor), today: TODAY });
  validateProfile({ resourceType: "Basic" }, "http://hl7.org/fhir/StructureDefinition/Basic"); // compiles the schema (a few seconds)
}, 120_000);

const failedAsserts = (report: ScriptReport) =>
  [...report.tests, ...(report.setup ? [report.setup] : [])].flatMap((t) => t.actions.filter((a) => a.kind === "assert" && a.outcome === "failed"));
const assertsIn = (report: ScriptReport, outcome: string) =>
  report.tests.flatMap((t) => t.actions.filter((a) => a.kind === "assert" && a.outcome === outcome));

describe("the gate: every PHR script against a conforming PGO", () => {
  it("lists the 21 PHR-side scripts", () => {
    expect(SCRIPTS).toHaveLength(21);
    expect(SCRIPTS.filter((p) => HAND_LISTED[basename(p)])).toHaveLength(4);
  });

  it.each(SCRIPTS.map((p) => [basename(p), p]))("%s: every assert passes", async (_name, path) => {
    const report = await runPhrScript(path, { ...options, server, drive: (send, script) => conformingPgo(path)(send, script) });
    expect(report.mode).toBe("server");
    expect(failedAsserts(report).map((a) => `${a.description}: ${a.message}`)).toEqual([]);
    expect(report.totals.operations).toEqual({ passed: report.totals.operations.passed, failed: 0, notEvaluated: 0 });
    expect(report.totals.asserts).toEqual({ passed: report.totals.asserts.passed, failed: 0, warning: 0, notEvaluated: 0 });
    expect(report.totals.asserts.passed).toBeGreaterThanOrEqual(4);
    expect(report.unexpected).toEqual([]);
    expect(hasFailures(report)).toBe(false);
  }, 60_000);

  it("checks the Authorization against the token issued for the patient, not Nictiz's", async () => {
    const report = await runPhrScript(pathOf("medmij-laboratoryresults-phr-1-1-retrieve-all-labresults.xml"), {
      ...options, server, drive: (send) => get(send, "Observation?category=http://snomed.info/sct|49581000146104", tokenFor["laboratoryresults-patient-kwalificatie1"]!).then(() => undefined),
    });
    expect(hasFailures(report)).toBe(false);
    const text = formatReport(report);
    expect(text).toContain("server mode: the system under test made the requests, 1 recorded");
    expect(text).not.toContain("issued-");
    expect(text).not.toContain("14bc6cc6");
  });

  it("evaluates several scripts on one recording of a whole session, telling the three batches apart by content", async () => {
    const recorder = recordExchanges(server);
    const names = [
      "medmij-bgz-phr-1-2-retrieve-bgz.xml", "medmij-bgz-phr-1-1-retrieve-bgz.xml", "selfmeasurements-phr-2-3-send-observations-from-period.xml",
      "selfmeasurements-phr-2-1-send-most-recent-bodyweight.xml", "selfmeasurements-phr-2-2-send-bloodpressures-from-period.xml",
    ];
    for (const name of names) await conformingPgo(name)(recorder.handle, loadTestScript(pathOf(name)));
    for (const name of [...names].reverse()) {
      const report = await evaluatePhrScript(pathOf(name), recorder.exchanges, options);
      // The three send scripts share their patient and token: to each, the other two batches are unexpected.
      const unexpected = name.includes("-send-") ? [["POST", BASE], ["POST", BASE]] : [];
      expect([name, failedAsserts(report).map((a) => a.description), assertsIn(report, "warning").length, report.unexpected?.map((u) => [u.method, u.url])])
        .toEqual([name, [], 0, unexpected]);
    }
  }, 60_000);

  it("matches a search the PGO POSTs to _search with a form body", async () => {
    const report = await runPhrScript(pathOf("selfmeasurements-phr-1-4-retrieve-all-heartrates.xml"), {
      ...options, server,
      drive: async (send) => {
        await send(new Request(`${BASE}/Observation/_search`, {
          method: "POST", headers: { authorization: tokenFor["selfmeasurement-patient-kwalificatie1"]!, "content-type": "application/x-www-form-urlencoded" }, body: "code=http%3A%2F%2Floinc.org%7C8867-4",
        }));
      },
    });
    expect(hasFailures(report)).toBe(false);
  });
});

describe("a PGO that misbehaves", () => {
  const BP = "selfmeasurements-phr-1-1-retrieve-all-bloodpressures.xml";
  const smToken = () => tokenFor["selfmeasurement-patient-kwalificatie1"]!;
  const run = (name: string, drive: (send: Send, script: TestScript) => Promise<unknown>) =>
    runPhrScript(pathOf(name), { ...options, server, drive: async (send, script) => void (await drive(send, script)) });

  it("puts patient= in the URL: the assert against it fails, the rest passes", async () => {
    const report = await run(BP, (send) => get(send, "Observation?code=http://loinc.org|85354-9&patient=Patient/selfmeasurement-patient-kwalificatie1", smToken()));
    expect(failedAsserts(report).map((a) => [a.description, a.message])).toEqual([
      ["Confirm that query parameter 'patient=' was not present to avoid BSNs in the URL.", expect.stringMatching(/^expected the request URL notContains "patient=", got /)],
    ]);
    expect(report.totals.asserts.passed).toBe(5);
  });

  it("puts subject= in the URL: that assert fails", async () => {
    const report = await run(BP, (send) => get(send, "Observation?subject=Patient%2Fselfmeasurement-patient-kwalificatie1&code=http://loinc.org|85354-9", smToken()));
    expect(failedAsserts(report).map((a) => a.description)).toEqual(["Confirm that query parameter 'subject=' was not present to avoid BSNs in the URL."]);
  });

  it("omits a query: that operation and its asserts fail, naming what it did send to that path", async () => {
    const name = "medmij-bgz-phr-1-1-retrieve-bgz.xml";
    const script = loadTestScript(pathOf(name));
    const recorder = recordExchanges(server);
    await generated(recorder.handle, script);
    const flags = recorder.exchanges.findIndex((x) => x.request.url?.includes("/Flag"));
    const withoutFlags = recorder.exchanges.filter((_, i) => i !== flags);
    const report = await evaluatePhrScript(script, withoutFlags, options);
    const alert = report.tests.find((t) => t.id === "12-retrieve-Alert");
    expect(alert?.actions[0]).toMatchObject({ kind: "operation", outcome: "failed", message: "the PGO did not send this request (GET Flag); it sent nothing else to that path" });
    expect(alert?.actions.slice(1).map((a) => [a.outcome, a.message])).toEqual(Array(6).fill(["failed", "the PGO did not send this request"]));
    expect(report.totals.asserts.failed).toBe(6);
    expect(report.tests.filter((t) => t.totals.asserts.failed > 0)).toHaveLength(1);
    expect(formatReport(report)).toContain("FAILED operation Test PHR client to retrieve Flag resources. (GET https://fhir.nictiz-sim.localhost/48/fhir/Flag): the PGO did not send this request");
  });

  it("sends a query with other parameters: the nearest request is named with the difference", async () => {
    const report = await run("selfmeasurements-phr-1-5-retrieve-period-bloodpressure.xml", (send) =>
      get(send, `Observation?code=http://loinc.org|85354-9&date=ge${day(-100)}T00:00:00Z&date=le${day(-50)}`, smToken()));
    const op = report.tests[0]?.actions[0];
    expect(op?.outcome).toBe("failed");
    expect(op?.kind === "operation" && op.message).toContain(`(without date=ge${day(-100)}; with date=ge${day(-100)}T00:00:00Z)`);
    expect(report.unexpected).toEqual([expect.objectContaining({ method: "GET", status: 200, why: "no operation of this script expects it" })]);
  });

  it("sends another patient's token: the Authorization assert fails, and what it got back is judged as it is", async () => {
    const report = await run(BP, (send) => get(send, "Observation?code=http://loinc.org|85354-9", tokenFor["selfmeasurement-patient-kwalificatie2"]!));
    expect(report.tests[0]?.actions[0]).toMatchObject({ outcome: "passed", message: "matched by method, path and parameters; the PGO sent it with another Authorization" });
    expect(failedAsserts(report).map((a) => a.description)).toEqual([
      expect.stringMatching(/^Confirm that HTTP header Authorization contains the patient token /),
      "Confirm that the response Bundle contains 2 Observation resource(s). ", // kwalificatie2 has none
    ]);
  });

  it("sends Nictiz's token instead of the issued one: 401, and the Authorization and status asserts fail", async () => {
    const nictiz = QUALIFICATION.find((q) => q.resourceId === "selfmeasurement-patient-kwalificatie1")?.accessToken ?? "";
    const report = await run(BP, (send) => get(send, "Observation?code=http://loinc.org|85354-9", nictiz));
    const failed = failedAsserts(report);
    expect(failed.map((a) => a.message)).toEqual([expect.stringContaining("expected header Authorization equals"), 'expected the status in ["200", "201"], got "401"']);
    expect(report.unexpected).toEqual([]);
    expect(formatReport(report)).not.toContain(nictiz.slice(7));
  });

  it("sends a batch as a transaction: the Bundle type assert fails", async () => {
    const report = await run("selfmeasurements-phr-2-1-send-most-recent-bodyweight.xml", (send, script) => {
      const bundle = parseFhirXml(fill(fixtureText(script, "scenario-2-1-bundle-fixture")));
      return post(send, JSON.stringify({ ...bundle, type: "transaction" }), tokenFor["selfmeasurement-patient-kwalificatie2"]!, "application/fhir+json");
    });
    expect(failedAsserts(report).map((a) => [a.description, a.message])).toEqual([["Confirm that request Bundle is of type batch.", "Bundle.type = 'batch' is false"]]);
  });

  it("sends a Bundle of another type: the type assert and the status fail", async () => {
    const report = await run("medmij-pdfa-phr-3-1-send-1-document.xml", (send, script) => {
      const bundle = parseFhirXml(fill(fixtureText(script, "scenario-3-1-bundle-fixture")));
      return post(send, JSON.stringify({ ...bundle, type: "collection" }), tokenFor["example-pdfa-kwalificatie3"]!, "application/fhir+json");
    });
    expect(failedAsserts(report).map((a) => a.message)).toEqual(expect.arrayContaining(["Bundle.type = 'transaction' is false", 'expected the status in ["200", "201"], got "400"']));
  });

  it("gives POST entries resource ids: the warning asserts warn, and a fullUrl that disagrees with the id fails", async () => {
    const report = await run("selfmeasurements-phr-2-1-send-most-recent-bodyweight.xml", (send, script) => {
      const bundle = parseFhirXml(fill(fixtureText(script, "scenario-2-1-bundle-fixture"))) as Json;
      bundle.entry.forEach((e: Json, i: number) => (e.resource.id = `given-${i}`));
      return post(send, JSON.stringify(bundle), tokenFor["selfmeasurement-patient-kwalificatie2"]!, "application/fhir+json");
    });
    expect(assertsIn(report, "warning").map((a) => a.description)).toEqual([expect.stringMatching(/^Confirm that all resources that are created don't contain a Resource.id/)]);
    expect(failedAsserts(report).map((a) => a.description)).toEqual([expect.stringMatching(/^Confirm that the fullUrl does not disagree with the id/)]);
    expect(hasFailures(report)).toBe(true);
  });

  it("sends a BSN in the Bundle: the BSN assert fails", async () => {
    const report = await run("selfmeasurements-phr-2-1-send-most-recent-bodyweight.xml", (send, script) => {
      const bundle = parseFhirXml(fill(fixtureText(script, "scenario-2-1-bundle-fixture"))) as Json;
      bundle.entry[0].resource.identifier = [{ system: "http://fhir.nl/fhir/NamingSystem/bsn", value: "999911120" }];
      return post(send, JSON.stringify(bundle), tokenFor["selfmeasurement-patient-kwalificatie2"]!, "application/fhir+json");
    });
    expect(failedAsserts(report).map((a) => a.description)).toEqual(["Confirm that Bundle does not use Burgerservicenummer (BSN) anywhere."]);
    expect(formatReport(report)).not.toContain("999911120");
  });

  it("makes a request no operation expects: listed, not failed", async () => {
    const report = await run(BP, async (send) => {
      await get(send, "Observation?code=http://loinc.org|85354-9", smToken());
      await get(send, "Observation?code=http://loinc.org|29463-7", smToken());
      await get(send, "Observation", "Bearer made-up");
      await get(send, "Observation", tokenFor["medmij-bgz-patient-ts-01"]!); // another script's patient: not listed
    });
    expect(hasFailures(report)).toBe(false);
    expect(report.unexpected?.map((u) => [u.method, u.url.replace(BASE, ""), u.status, u.why])).toEqual([
      ["GET", "/Observation?code=http://loinc.org|29463-7", 200, "no operation of this script expects it"],
      ["GET", "/Observation", 401, "a token nobody was given"],
    ]);
    expect(formatReport(report)).toContain("  REQUESTS NO OPERATION EXPECTS (2):\n    GET https://fhir.nictiz-sim.localhost/48/fhir/Observation?code=http://loinc.org|29463-7 -> 200 (no operation of this script expects it)");
  });

  it("makes its requests somewhere else: nothing matches", async () => {
    const exchanges: RecordedExchange[] = [{
      request: { method: "GET", url: "https://elsewhere.localhost/48/fhir/Observation?code=http://loinc.org|85354-9", headers: { authorization: smToken() } },
      response: { status: 200, headers: {} },
    }];
    const report = await evaluatePhrScript(pathOf(BP), exchanges, options);
    expect(report.totals.operations.failed).toBe(1);
    expect(report.totals.asserts.failed).toBe(6);
  });
});

describe("the local network's peer (test/peers/nictiz-sim.mjs)", () => {
  it("routes its hostname to the recording double, issues a token per patient, and evaluates on what it saw", async () => {
    const sim = await createNictizSim({ today: TODAY });
    expect([sim.host, sim.baseUrl]).toEqual(["fhir.nictiz-sim.localhost", BASE]);
    expect(Object.keys(sim.tokenFor).sort()).toEqual(PATIENTS);
    const handler = sim.nodeServices[sim.host]!;
    const path = pathOf("selfmeasurements-phr-1-7-retrieve-all-vitalsigns.xml");
    await handler(new Request(`${BASE}/Observation?category=vital-signs`, { headers: { authorization: sim.tokenFor["selfmeasurement-patient-kwalificatie1"]! } }));
    const [report] = await sim.evaluate([path]);
    expect(report && hasFailures(report)).toBe(false);
    const all = await sim.evaluate();
    expect(all.filter((r) => !hasFailures(r)).map((r) => r.script.id)).toEqual([report?.script.id]);
    sim.clear();
    expect(sim.recorder.exchanges).toHaveLength(0);
  }, 60_000);
});
