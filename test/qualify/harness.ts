/**
 * Nictiz's MedMij qualification (SPEC G-6) against the local network: the vendored Cert scripts, run by the
 * TestScript engine of test/testscript/ (independent of the product), over HTTP through the front door with
 * real tokens obtained the way a PGO obtains them (authorize, the DigiD simulator, consent, token over the mTLS
 * stand-in). The data: each standard's `_LoadResources` script, run against the provider's operator interface
 * (X-10) in store mode, or into the provider's own FHIR server in upstream mode.
 * Either way each Patient carries its real BSN, as a provider's system has it (scripts/nictiz-load.mjs).
 */
import { readFileSync } from "node:fs";
import { HOSTS, type LocalNetwork } from "../../scripts/local-network.mjs";
import { loadNictiz, NICTIZ_DIR, nictizResources } from "../../scripts/nictiz-load.mjs";
import { NetBrowser, field } from "../e2e/browser.ts";
import { createVariableScope, hasFailures, listCertScripts, loadQualificationTokens, loadTestScript, parseFhirXml, runTestScript, type ScriptReport } from "../testscript/index.mjs";

export const NICTIZ = NICTIZ_DIR;
export const PROVIDER = "umcharderwijk@medmij";
const CLIENT = HOSTS.dvpKluis;
const REDIRECT = `https://${CLIENT}/oauth/callback`;
const CERT = { "x-local-network-client-cert": CLIENT };

/** Per standard: the Gegevensdienst its serving scripts run against, and where its receive scripts go (Delen). */
export const STANDARDS = [
  { standard: "BgZ-3-0", serve: { role: "XIS-Server", gd: "48" } },
  { standard: "LaboratoryResults-2-0", serve: { role: "XIS-Server", gd: "24" } },
  { standard: "PDFA-3-0", serve: { role: "XIS-Server", gd: "51" }, receive: { role: "XIS-Server", gd: "1051" } },
  { standard: "SelfMeasurements-2-0", serve: { role: "Serving-XIS", gd: "1005" }, receive: { role: "Receiving-XIS", gd: "5" } },
] as const;

export interface ScriptRun {
  readonly standard: string;
  readonly path: string;
  readonly gd: string;
}

/** Every XIS-side Cert script, with the Gegevensdienst it runs against (PDF/A's 3.x scripts receive documents). */
export function xisScripts(): ScriptRun[] {
  return STANDARDS.flatMap((s) => {
    const dir = `${NICTIZ}${s.standard}`;
    const serving = listCertScripts(dir, s.serve.role).map((path) => ({ standard: s.standard, path, gd: "receive" in s && s.receive && s.receive.role === s.serve.role && /-receive-/.test(path) ? s.receive.gd : s.serve.gd }));
    const receiving = "receive" in s && s.receive && s.receive.role !== s.serve.role ? listCertScripts(dir, s.receive.role).map((path) => ({ standard: s.standard, path, gd: s.receive.gd })) : [];
    return [...serving, ...receiving];
  });
}

/** A fetch for the engine: https URLs of the local network through its front door, with the DVP's certificate stand-in. */
export function networkFetch(net: LocalNetwork, transform?: (url: URL, init: { method: string; headers: Record<string, string>; body?: string }) => string | undefined) {
  return async (url: string, init: { method: string; headers: Record<string, string>; body?: string; redirect: "manual" }): Promise<Response> => {
    const u = new URL(url);
    const body = transform?.(u, init) ?? init.body;
    return net.browse(u.hostname, `${u.pathname}${u.search}`, { method: init.method, headers: { ...init.headers, ...CERT }, body });
  };
}

/** Runs each standard's `_LoadResources` script against the provider's operator interface (store mode, X-10). */
export function loadIntoStore(net: LocalNetwork): Promise<ScriptReport[]> {
  return loadNictiz({ baseUrl: `https://${HOSTS.operatorZorgbridge}/${PROVIDER.replace(/@medmij$/, "")}/fhir`, operatorToken: net.operatorToken, fetch: networkFetch(net) });
}

/** A token for one qualification patient and Gegevensdienst, as the PGO gets one: authorize, DigiD, consent, token. */
export async function tokenFor(net: LocalNetwork, bsn: string, gd: string): Promise<string> {
  const b = new NetBrowser(net);
  const umc = net.base(HOSTS.umcharderwijk);
  const q = new URLSearchParams({ response_type: "code", client_id: CLIENT, redirect_uri: REDIRECT, scope: `${PROVIDER.replace(/@medmij$/, "")}~${gd}`, state: crypto.randomUUID() });
  const authorize = `${umc}/oauth/authorize?${q}`;
  const toDigid = await b.follow(await b.get(authorize), authorize);
  const form = await toDigid.final.text();
  const loggedIn = await b.post(`${net.base(HOSTS.digid)}/login`, { bsn, RelayState: field(form, "RelayState"), return: field(form, "return") });
  const consent = await b.follow(loggedIn, `${net.base(HOSTS.digid)}/login`);
  const page = await consent.final.text();
  if (!page.includes('name="csrf"')) throw new Error(`no consent step for ${gd} at ${consent.url} (HTTP ${consent.final.status}): ${page.replace(/<[^>]+>/g, " ").replace(/\s+/g, " ").slice(0, 300)}`);
  const decided = await b.post(consent.url, { csrf: field(page, "csrf"), decision: "ja" });
  const location = decided.headers.get("location");
  const code = location ? new URL(location).searchParams.get("code") : null;
  if (!code) throw new Error(`no code for ${gd} (HTTP ${decided.status})`);
  const res = await net.browse(HOSTS.umcharderwijk, "/oauth/token", {
    method: "POST",
    headers: { ...CERT, "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ grant_type: "authorization_code", code, redirect_uri: REDIRECT }).toString(),
  });
  const json = (await res.json()) as { access_token?: string };
  if (!json.access_token) throw new Error(`no token for ${gd}: ${JSON.stringify(json)}`);
  return json.access_token;
}

/** The qualification patients the vendored load scripts put in (QualificationTokens.json lists those of every standard). */
const LOADED_PATIENTS: ReadonlySet<string> = new Set(
  STANDARDS.flatMap((s) => listCertScripts(`${NICTIZ}${s.standard}`, "_LoadResources")).flatMap((path) => [...readFileSync(path, "utf8").matchAll(/<params value="([A-Za-z0-9\-.]+)\/\$purge"\/>/g)].map((m) => m[1]!)),
);

/** The qualification patients a script names (its `patient-token-...` variables), by resource id. */
export function patientsOf(path: string): string[] {
  const text = readFileSync(path, "utf8");
  const patients = loadQualificationTokens().filter((p) => LOADED_PATIENTS.has(p.resourceId));
  return patients.filter((p) => text.includes(p.accessToken.replace(/^Bearer /, "")) || text.includes(`patient-token-${p.familyName}`)).map((p) => p.resourceId);
}

/** Runs one XIS-side script with real tokens for the patients it names. */
export async function runXisScript(net: LocalNetwork, run: ScriptRun, tokens: Map<string, string>): Promise<ScriptReport> {
  const patients = loadQualificationTokens();
  const tokenFor: Record<string, string> = {};
  for (const id of patientsOf(run.path)) {
    const key = `${id}~${run.gd}`;
    if (!tokens.has(key)) tokens.set(key, await tokenForPatient(net, id, run.gd));
    tokenFor[id] = `Bearer ${tokens.get(key)!}`;
  }
  return runTestScript(run.path, {
    baseUrl: `https://${HOSTS.umcharderwijk}/${run.gd}/fhir`,
    fetch: networkFetch(net),
    tokenFor,
    secrets: [...tokens.values()],
    qualificationTokens: patients,
  });
}

async function tokenForPatient(net: LocalNetwork, resourceId: string, gd: string): Promise<string> {
  const p = loadQualificationTokens().find((q) => q.resourceId === resourceId);
  if (!p?.bsn) throw new Error(`no BSN for ${resourceId}`);
  return tokenFor(net, p.bsn, gd);
}

export { hasFailures };

/**
 * Where Nictiz's scripts contradict their own fixtures. Checked, not bent around: the server serves what was
 * loaded, and these failures are reported with the reason (here, and in the README's qualification table).
 */
export interface Contradiction {
  readonly script: RegExp;
  /** The test (section) id. */
  readonly section: string;
  /** The failing assert's or operation's description (its start). */
  readonly action: string;
  readonly reason: string;
}

export const CONTRADICTIONS: readonly Contradiction[] = [
  {
    script: /PDFA-3-0\/MedMij\/Cert\/XIS-Server\/medmij-pdfa-xis-1-1-serve-2-documentreference-(json|xml)\.xml$/,
    section: "scenario1-1-serve-2-documentreference",
    action: "Confirm that the response Bundle contains 2 DocumentReference resource(s).",
    reason:
      "the load script gives XXX_Baltus (example-pdfa-kwalificatie1) three DocumentReferences with status current (pdfa-documentreference1, -2 and -3, the last pointing at Binary/foutieve-en-onbekend-id); the server serves the three it was given",
  },
  ...["scenario2-5-serve-pdfa-document", "scenario2-5-serve-pdfa-document-control"].map((section) => ({
    script: /PDFA-3-0\/MedMij\/Cert\/XIS-Server\/medmij-pdfa-xis-2-5-serve-1-pdfa-(json|xml)\.xml$/,
    section,
    action: "operation Test XIS server get operation for a document on a known location",
    reason:
      "the only current DocumentReference of XXX_Schulte (pdfa-documentreference4) has as attachment.url a page on Nictiz's public website, not a document of the server under test: the script fetches that page itself (this machine has no internet), and its control step (no Authorization must not give 200) cannot hold for a public page",
  })),
];

export interface Gate {
  /** Failed asserts and operations no contradiction explains. */
  readonly unexplained: string[];
  readonly explained: { readonly what: string; readonly reason: string }[];
  /** Contradictions of this script that did not occur: Nictiz fixed them, or the server changed. */
  readonly absent: Contradiction[];
}

export function gate(report: ScriptReport): Gate {
  const mine = CONTRADICTIONS.filter((c) => c.script.test(report.script.path));
  const seen = new Set<Contradiction>();
  const unexplained: string[] = [];
  const explained: { what: string; reason: string }[] = [];
  for (const section of [report.setup, ...report.tests, report.teardown]) {
    if (!section) continue;
    for (const a of section.actions) {
      if (a.outcome !== "failed") continue;
      const what = `${section.id}: ${a.kind === "operation" ? "operation " : ""}${a.description}`;
      const c = mine.find((x) => x.section === section.id && `${a.kind === "operation" ? "operation " : ""}${a.description}`.startsWith(x.action));
      if (c) {
        seen.add(c);
        explained.push({ what, reason: c.reason });
      } else unexplained.push(`${what}${a.message ? `: ${a.message}` : ""}`);
    }
  }
  return { unexplained, explained, absent: mine.filter((c) => !seen.has(c)) };
}

export { nictizResources };
