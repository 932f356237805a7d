// Loads Nictiz's qualification fixtures into a provider's store (SPEC G-6, X-10): each standard's `_LoadResources`
// script (test/fixtures/nictiz/), run by the TestScript engine against the provider's operator FHIR interface.
//
// Nictiz's fixtures carry the BSN masked; a provider's own system has the real one. The load therefore puts the
// BSN of each qualification patient (test/fixtures/nictiz/QualificationTokens.json) into its Patient as it is sent:
// the one change to Nictiz's material, and only on the way in. The RS never serves it.
import { fileURLToPath } from "node:url";
import { createVariableScope, listCertScripts, loadQualificationTokens, loadTestScript, parseFhirXml, runTestScript } from "../test/testscript/index.mjs";

export const NICTIZ_DIR = fileURLToPath(new URL("../test/fixtures/nictiz/", import.meta.url));
/** The four standards of the catalogue's Gegevensdiensten, as Nictiz names their folders. */
export const NICTIZ_STANDARDS = ["BgZ-3-0", "LaboratoryResults-2-0", "PDFA-3-0", "SelfMeasurements-2-0"];

const MASKED_BSN = /(<system value="http:\/\/fhir\.nl\/fhir\/NamingSystem\/bsn"\/>\s*)<value>\s*<extension url="http:\/\/hl7\.org\/fhir\/StructureDefinition\/data-absent-reason">\s*<valueCode value="masked"\/>\s*<\/extension>\s*<\/value>/;

/** The BSN a provider's system has for a qualification patient, put into the Patient it sends. */
export function withBsn(xml, bsn) {
  return xml.replace(MASKED_BSN, `$1<value value="${bsn}"/>`);
}

/** Every standard's `_LoadResources` scripts. */
export function loadScripts() {
  return NICTIZ_STANDARDS.flatMap((s) => listCertScripts(`${NICTIZ_DIR}${s}`, "_LoadResources"));
}

/**
 * Runs every `_LoadResources` script against `baseUrl` (the operator interface of one Zorgaanbieder) with the
 * operator credential. `fetch` is the engine's transport (default: the global fetch).
 * @param {{ baseUrl: string, operatorToken: string, fetch?: import("../test/testscript/index.mjs").RunOptions["fetch"] }} options
 */
export async function loadNictiz({ baseUrl, operatorToken, fetch = globalThis.fetch }) {
  const patients = loadQualificationTokens();
  const bsnOf = new Map(patients.map((p) => [p.resourceId, p.bsn]));
  const authorization = `Bearer ${operatorToken}`;
  /** @type {import("../test/testscript/index.mjs").RunOptions["fetch"]} */
  const withBsns = (url, init) => {
    const m = /\/Patient\/([A-Za-z0-9\-.]+)$/.exec(new URL(url).pathname);
    const bsn = init.method === "PUT" && m && init.body ? bsnOf.get(m[1]) : undefined;
    return fetch(url, bsn ? { ...init, body: withBsn(init.body, bsn) } : init);
  };
  const reports = [];
  for (const path of loadScripts()) {
    reports.push(await runTestScript(path, { baseUrl, fetch: withBsns, tokenFor: Object.fromEntries(patients.map((p) => [p.resourceId, authorization])), secrets: [operatorToken] }));
  }
  return reports;
}

/**
 * What the `_LoadResources` scripts would load, as FHIR JSON, for a provider's own FHIR server (upstream mode):
 * every fixture an update operation sends, its date placeholders filled in, each Patient with its BSN.
 * @param {string} [today] YYYY-MM-DD the fixtures' dates count from (default: today)
 * @returns {Record<string, unknown>[]}
 */
export function nictizResources(today) {
  const bsnOf = new Map(loadQualificationTokens().map((p) => [p.resourceId, p.bsn]));
  const out = new Map();
  for (const path of loadScripts()) {
    const script = loadTestScript(path);
    // The script's own variables (`T`, the date its fixtures count from) as the engine reads them.
    const scope = createVariableScope({ definitions: script.variables, ...(today ? { today } : {}) });
    for (const section of [script.setup, ...script.tests.map((t) => t.actions)]) {
      for (const a of section) {
        if (a.kind !== "operation" || a.operation.type !== "update" || !a.operation.sourceId) continue;
        const fixture = script.fixtures[a.operation.sourceId];
        const id = /<id value="([^"]+)"/.exec(fixture.text)?.[1];
        const text = scope.substitute(fixture.text);
        const bsn = id ? bsnOf.get(id) : undefined;
        const resource = parseFhirXml(fixture.format === "xml" && bsn ? withBsn(text, bsn) : text);
        out.set(`${String(resource.resourceType)}/${String(resource.id)}`, resource);
      }
    }
  }
  return [...out.values()];
}
