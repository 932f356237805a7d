/**
 * The Person's health data as the PGO shows it (issue 17 item 3): Nictiz's qualification fixtures (test/fixtures/
 * nictiz, the same resources a provider's RS serves, SPEC G-6) go through the collection and overview pages, and
 * the test reads what a Person sees: Dutch labels and statuses, values with units and Dutch dates (Europe/
 * Amsterdam), charts with one point per measurement, lab flags in words, documents opening through the PGO, every
 * section's source; every interpolated string escaped, no script, and no BSN (X-8).
 */
import { describe, expect, it } from "vitest";
import type { CollectionDetail, CollectionSummary } from "../../durable-objects/person-store.ts";
import { DOCUMENT_TYPES, type OwnDocument, type OwnMeasurement } from "../../workers/dvp/own-data.ts";
import { type OfferingView, collectionPage, dashboard, documentsPage, measurementsPage, overviewPage } from "../../workers/dvp/pages.ts";
import type { PgoPerson } from "../../workers/dvp/persons.ts";
import { niceTicks } from "../../workers/dvp/views/chart.ts";
import { formatDate, formatQuantity, humanName } from "../../workers/dvp/views/fhir-read.ts";
import { binaryIdOf } from "../../workers/dvp/views/items.ts";
import { flagOf } from "../../workers/dvp/views/lab.ts";
import { dosageText } from "../../workers/dvp/views/medication.ts";
import { parseFhirJson, stringifyFhirJson, type FhirResource } from "../../workers/fhir/formats/json.ts";
import { fhirXmlToJson } from "../../workers/fhir/formats/xml.ts";
import { substituteDates } from "../fhir/canonical.ts";

// --- Nictiz's fixtures, as a provider serves them (dates counted from a fixed day) -----------------------------------

const TODAY = new Date("2026-06-01T10:00:00Z");
const bgzFiles = import.meta.glob("../fixtures/nictiz/BgZ-3-0/MedMij/Cert/_reference/resources/*.xml", { query: "?raw", import: "default", eager: true });
const labFiles = import.meta.glob("../fixtures/nictiz/LaboratoryResults-2-0/MedMij/Cert/_reference/**/*.xml", { query: "?raw", import: "default", eager: true });
const selfFiles = import.meta.glob("../fixtures/nictiz/SelfMeasurements-2-0/MedMij/Cert/_reference/**/medmij-selfmeasurements-*-kwalificatie*.xml", { query: "?raw", import: "default", eager: true });
const pdfaFiles = import.meta.glob("../fixtures/nictiz/PDFA-3-0/MedMij/Cert/_reference/resources/medmij-pdfa-Document*.xml", { query: "?raw", import: "default", eager: true });
const binaryFiles = import.meta.glob("../fixtures/nictiz/PDFA-3-0/MedMij/Cert/_reference/resources/medmij-pdfa-Binary-kwalificatie{1,2}.xml", { query: "?raw", import: "default", eager: true });

const load = (files: Record<string, unknown>): FhirResource[] => Object.values(files).map((t) => fhirXmlToJson(substituteDates(t as string, TODAY)));
const refersTo = (r: FhirResource, patient: string): boolean => JSON.stringify(r).includes(`"Patient/${patient}"`);

/** What an RS serves for one Person: their Patient, what refers to them, and the shared resources (BgZ includes). */
function compartment(all: readonly FhirResource[], patient: string): FhirResource[] {
  return all.filter((r) => (r.resourceType === "Patient" ? r.id === patient : !JSON.stringify(r).includes('"Patient/') || refersTo(r, patient)));
}

const HELLEMAN = "medmij-bgz-patient-ts-01";
const bgz = compartment(load(bgzFiles), HELLEMAN);
const lab = load(labFiles);
const self2 = compartment(load(selfFiles), "selfmeasurement-patient-kwalificatie2");
const docs = [...load(pdfaFiles), ...load(binaryFiles)];

let seq = 0;
function collection(resources: readonly FhirResource[], o: Partial<CollectionDetail> = {}): CollectionDetail {
  const jsons = resources.map((r) => stringifyFhirJson(r));
  return {
    id: `c${++seq}`,
    zorgaanbieder: "umcharderwijk@medmij",
    gegevensdienstId: "48",
    useCase: "verzamelen",
    outcome: "completed",
    at: "2026-05-03T08:00:00Z",
    resourceCount: jsons.length,
    deletedAt: null,
    requests: [{ uri: "https://umcharderwijk.zorgbridge.localhost/48/fhir/Patient?_include=Patient:general-practitioner", at: "2026-05-03T08:00:00.123Z", requestId: "3f2c1d9e-0000-4000-8000-000000000001", status: 200 }],
    resources: jsons,
    ...o,
    origins: o.origins ?? (o.resources ?? jsons).map(() => 0),
  };
}

// --- reading a page --------------------------------------------------------------------------------------------------

/** What a Person reads: the text of <main>, tags gone, the few entities decoded. */
function visible(html: string): string {
  const main = html.slice(html.indexOf("<main>"), html.indexOf("</main>"));
  return main
    .replace(/<\/?span[^>]*>/g, "")
    .replace(/<[^>]+>/g, " ")
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, "&")
    .replace(/\s+/g, " ");
}

/** The rows of the table whose caption is `caption`, each as its cells' text. */
function rows(html: string, caption: string): string[][] {
  const at = html.indexOf(`>${caption}</caption>`);
  expect(at, `a table "${caption}"`).toBeGreaterThan(-1);
  const table = html.slice(at, html.indexOf("</table>", at));
  const body = table.slice(table.indexOf("<tbody>"));
  return [...body.matchAll(/<tr>(.*?)<\/tr>/gs)].map((m) => [...m[1]!.matchAll(/<t[hd][^>]*>(.*?)<\/t[hd]>/gs)].map((c) => visible(`<main>${c[1]}</main>`).trim()));
}

function headings(html: string): string[] {
  return [...html.matchAll(/<h([1-6])[^>]*>(.*?)<\/h\1>/gs)].map((m) => `h${m[1]} ${visible(`<main>${m[2]}</main>`).trim()}`);
}

/** FHIR status codes and English words that must never reach a Person as labels or statuses. */
const ENGLISH = /\b(active|inactive|completed|finished|final|booked|current|superseded|resolved|confirmed|unknown|pending|proposed|due|high|low|amended|preliminary|cancelled|stopped|entered-in-error|in-progress|date|result|collected|shared|failed|denied)\b/i;

/**
 * Accessibility as the brief asks: every form control has a label, every table header a scope, no heading level
 * skipped, ids unique, every chart an image with a title and a description that exist.
 */
function expectAccessible(html: string): void {
  const ids = [...html.matchAll(/\sid="([^"]+)"/g)].map((m) => m[1]!);
  expect(new Set(ids).size, `duplicate ids: ${ids.filter((x, i) => ids.indexOf(x) !== i).join(", ")}`).toBe(ids.length);
  for (const m of html.matchAll(/<(input|select|textarea)\b([^>]*)>/g)) {
    const attrs = m[2]!;
    if (/type="hidden"/.test(attrs)) continue;
    const id = /\sid="([^"]+)"/.exec(attrs)?.[1];
    expect(id, `a ${m[1]} without id: ${m[0]}`).toBeDefined();
    expect(html, `a label for ${id}`).toContain(`<label for="${id}">`);
  }
  for (const m of html.matchAll(/<th\b([^>]*)>/g)) expect(m[1], "th with scope").toMatch(/scope="(col|row)"/);
  const levels = [...html.matchAll(/<h([1-6])\b/g)].map((m) => Number(m[1]));
  expect(levels[0]).toBe(1);
  levels.forEach((l, i) => i > 0 && expect(l - levels[i - 1]!, `heading h${levels[i - 1]} then h${l}`).toBeLessThanOrEqual(1));
  for (const m of html.matchAll(/<svg\b([^>]*)>/g)) {
    expect(m[1]).toContain('role="img"');
    const labelled = /aria-labelledby="([^"]+)"/.exec(m[1]!)?.[1]?.split(" ") ?? [];
    expect(labelled.length).toBe(2);
    for (const id of labelled) expect(ids).toContain(id);
  }
}

/** The page's own rules: strict CSP with a nonce'd style, no script, no style attribute, nothing external. */
function expectStrict(res: Response, html: string): void {
  expect(res.headers.get("content-type")).toBe("text/html; charset=utf-8");
  expect(res.headers.get("content-security-policy")).toMatch(/^default-src 'none'; style-src 'nonce-[^']+'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'$/);
  expect(html).not.toMatch(/<script/i);
  expect(html).not.toMatch(/\sstyle="/i);
  expect(html).not.toMatch(/\son[a-z]+="/i);
  expect(html).not.toMatch(/(src|href)="(https?:)?\/\//i);
}

async function render(res: Response): Promise<string> {
  const html = await res.text();
  expectStrict(res, html);
  expectAccessible(html);
  return html;
}

// --- the BgZ ---------------------------------------------------------------------------------------------------------

describe("a BgZ collection (Nictiz's BgZ 3.0 patient XXX_Helleman) shown per zib", async () => {
  const c = collection(bgz);
  const html = await render(collectionPage("Gezondheidskluis & Co", c, "Basisgegevens Zorg", "csrf-token", TODAY));
  const text = visible(html);

  it("names the provider, the Gegevensdienst, the day and the outcome in Dutch", () => {
    expect(headings(html)[0]).toBe("h1 Opgehaald bij umcharderwijk@medmij");
    expect(text).toContain("Gegevensdienst Basisgegevens Zorg, 3 mei 2026, 10:00, resultaat: voltooid.");
    expect(html).toContain('<p class="bron">Bron: umcharderwijk@medmij, Basisgegevens Zorg, opgehaald op 3 mei 2026, 10:00</p>');
  });

  it("has a section per zib of the BgZ that has data, in order, and none for what is empty", () => {
    expect(headings(html).filter((x) => x.startsWith("h2"))).toEqual([
      "h2 Persoonsgegevens en huisarts",
      "h2 Waarschuwingen",
      "h2 Allergieën en intoleranties",
      "h2 Problemen",
      "h2 Medicatiegebruik",
      "h2 Medicatieafspraken",
      "h2 Toedieningsafspraken",
      "h2 Metingen",
      "h2 Laboratoriumuitslagen",
      "h2 Vaccinaties",
      "h2 Contacten",
      "h2 Verrichtingen",
      "h2 Geplande zorg",
      "h2 Medische hulpmiddelen",
      "h2 Behandelaanwijzingen",
      "h2 Wilsverklaringen",
      "h2 Functionele of mentale status",
      "h2 Woonsituatie",
      "h2 Drugsgebruik",
      "h2 Alcoholgebruik",
      "h2 Tabaksgebruik",
      "h2 Voedingsadviezen",
      "h2 Betaler (zorgverzekering)",
      "h2 Verzoeken",
    ]);
    expect(text).not.toContain("Documenten");
    expect(text).not.toContain("Overige gegevens");
  });

  it("shows the Patient and the huisarts through Patient.generalPractitioner and its PractitionerRole", () => {
    expect(text).toContain("Naam Johan XXX_Helleman");
    expect(text).toContain("Geboortedatum 25 juli 1964");
    expect(text).toContain("Geslacht man");
    expect(text).toContain("Burgerlijke staat gehuwd");
    expect(text).toMatch(/Huisarts van Partners, Huisartsenpraktijk Itis telefoon \+31434073576; e-mail marchavanpartners@Itis\.nl Langelaan 1, 1234ZZ Onze Stad/);
    expect(text).toContain("Jannie van Putten-XXX_Helleman: Eerste relatie/contactpersoon, echtgenote");
  });

  it("shows blood pressure as systolic/diastolic with its date in Amsterdam time, as a chart with two series and a table", () => {
    // 2013-02-07T08:53:00+02:00 is 07:53 in Amsterdam (winter time, +01:00).
    expect(rows(html, "Bloeddruk: alle waarden")).toEqual([["7 feb 2013, 07:53", "108/56 mmHg", "Zittende positie"]]);
    expect(rows(html, "Gewicht: alle waarden")).toEqual([["8 feb 2013", "72 kg"]]);
    expect(rows(html, "Lengte: alle waarden")).toEqual([["8 feb 2013, 05:43", "183 cm"]]);
    const svgs = [...html.matchAll(/<svg\b.*?<\/svg>/gs)].map((m) => m[0]);
    expect(svgs).toHaveLength(3);
    const bp = svgs[0]!;
    expect(bp).toContain("<title id=\"grafiek-bloeddruk-titel\">Bloeddruk (mmHg) in de tijd</title>");
    expect(bp.match(/<circle class="punt"/g)).toHaveLength(2);
    expect(bp).toContain("Bovendruk (systolisch): 7 feb 2013, 07:53: 108 mmHg");
    expect(bp).toContain("Onderdruk (diastolisch): 7 feb 2013, 07:53: 56 mmHg");
    expect(bp).toMatch(/<desc id="grafiek-bloeddruk-beschrijving">1 meting op 7 feb 2013\./);
  });

  it("shows the lab result with its unit, reference range and the flag in words", () => {
    expect(rows(html, "Laboratoriumuitslagen")).toEqual([["Chloride [mol/volume] in bloed", "109 mmol/l", "99–108 mmol/l", "te hoog", "23 mei 2012, 12:00", "Bloed (substantie)"]]);
    expect(html).toContain('<strong class="afwijkend">te hoog</strong>');
  });

  it("shows medication with its product and dose, agreements and administration agreements", () => {
    expect(rows(html, "Medicatiegebruik")).toEqual([["Zestril tablet 10mg", "1 maal per dag 1 tablet, oraal", "vanaf 28 jun 2018, 3 weken", "actief", "ja", "Peter van Pulver, Huisartsenpraktijk Pulver & Partners", "16 aug 2018"]]);
    expect(rows(html, "Medicatieafspraken")[0]!.slice(0, 3)).toEqual(["Metoclopramide zetpil 10mg", "Gedurende 30 dagen, zo nodig 1 maal per dag 1 stuk, rectaal", "vanaf 15 aug 2016, 30 dagen"]);
    expect(rows(html, "Toedieningsafspraken")[0]).toEqual(["PRIMPERAN ZETPIL 20MG", "Vanaf 1-6-2018, gedurende 30 dagen, zo nodig 1 maal per dag 1 stuk, rectaal", "vanaf 27 jun 2018, 30 dagen", "1 jun 2018, 12:25", "Apotheek de Gulle Gaper", "afgerond"]);
  });

  it("shows problems, allergies, vaccinations, contacts, procedures, planned care, devices, directives, payer", () => {
    expect(rows(html, "Problemen")).toContainEqual(["Amyotrofe laterale sclerose", "actief", "", "", ""]);
    expect(rows(html, "Problemen")).toContainEqual(["Fractuur van pols (aandoening)", "niet actief", "2001", "Gehele polsregio (lichaamsstructuur), Rechts", "Gevallen op kunstijsbaan."]);
    expect(rows(html, "Allergieën en intoleranties")).toEqual([["Bijengif (substantie)", "biologisch", "hoog", "misselijkheid en braken (aandoening) (ernstig)", "actief", "8 nov 2008", "15 nov 2009"]]);
    expect(rows(html, "Vaccinaties")).toEqual([["hepatitis A immunoglobulin", "5 mrt 1999", "afgerond", "van Partners (Huisartsenpraktijk Itis)", "Bezoek aan Guatemala."]]);
    expect(rows(html, "Contacten")[1]).toEqual(["opname", "15 aug 2012", "J.H.R. Peters (SEH - UMCG)", "SEH - UMCG", "Fractuur van onderste extremiteit (aandoening)", "afgerond"]);
    expect(rows(html, "Verrichtingen")[0]!.slice(0, 3)).toEqual(["Implantatie van totale knieprothese (verrichting)", "vanaf 5 jun 2012", "structuur van knieregio (lichaamsstructuur), Links"]);
    expect(rows(html, "Geplande zorg")).toEqual([
      ["Fysiotherapie Controle afspraak", "afspraak", "12 jul 2022, 11:30–11:40", "gepland", "G.Z.M. de Wit (Orthopedie - UMCG), West vleugel"],
      ["Biopsie van huid (verrichting)", "verrichting", "vanaf 12 mrt 2022", "actief", "Test Medisch Centrum"],
      ["hoortoestel (fysiek object)", "hulpmiddel", "2022", "actief", ""],
      ["hepatitis A immunoglobulin", "vaccinatie", "2022", "Aangevraagd", ""],
    ]);
    expect(rows(html, "Medische hulpmiddelen").map((r) => r[0])).toEqual(["Gewrichtsprothese van knie (fysiek object)", "hoortoestel (fysiek object)"]);
    expect(rows(html, "Behandelaanwijzingen")).toEqual([["Kunstmatige beademing", "Ja, maar met beperkingen", "Eerst overleg met echtgenote", "vanaf 9 apr 2018", "ja, met Patiënt, op 9 apr 2018", "actief"]]);
    expect(rows(html, "Wilsverklaringen")).toEqual([["Niet reanimeren verklaring", "9 apr 2018", "Amyotrofe laterale sclerose", "Jannie van Putten-XXX_Helleman", "Niet-reanimerenpenning", "actief"]]);
    expect(rows(html, "Tabaksgebruik")[0]![0]).toBe("Ex-roker");
    expect(rows(html, "Betaler")).toEqual([
      ["Menzis Zorgverzekeraar N.V.", "Basis verzekerd", "12345678", "1 jan 2018 – 31 dec 2018", ""],
      ["zelfbetaler (Johan XXX_Helleman)", "", "", "", "ING, NL85INGB0001234567"],
    ]);
  });

  it("keeps the requests table (time, MedMij-Request-ID, status, URI) and offers deletion", () => {
    expect(rows(html, "Verzoeken aan de zorgaanbieder")).toEqual([["3 mei 2026, 10:00:00", "3f2c1d9e-0000-4000-8000-000000000001", "200", "https://umcharderwijk.zorgbridge.localhost/48/fhir/Patient?_include=Patient:general-practitioner"]]);
    expect(html).toContain(`<form method="post" action="/collections/${c.id}/delete"><input type="hidden" name="csrf" value="csrf-token">`);
  });

  it("has no English label or status word", () => {
    expect(text).not.toMatch(ENGLISH);
  });

  it("never shows a BSN (X-8), even when a provider sends one", async () => {
    const patient = bgz.find((r) => r.resourceType === "Patient")!;
    const withBsn = { ...patient, identifier: [{ system: "http://fhir.nl/fhir/NamingSystem/bsn", value: "999911120" }] };
    const page = await collectionPage("PGO", collection([withBsn]), "Basisgegevens Zorg", "t", TODAY).text();
    expect(page).toContain("Johan XXX_Helleman");
    expect(page).not.toContain("999911120");
  });
});

// --- laboratory results ----------------------------------------------------------------------------------------------

describe("laboratory results (LaboratoryResults 2.0)", async () => {
  const extra = [
    // No interpretation: the flag is computed from the range.
    { resourceType: "Observation", id: "lab-laag", status: "final", category: [{ coding: [{ system: "http://snomed.info/sct", code: "49581000146104" }] }], code: { text: "Kalium" }, effectiveDateTime: "2026-03-04", valueQuantity: { value: 3.1, unit: "mmol/l" }, referenceRange: [{ low: { value: 3.5, unit: "mmol/l" }, high: { value: 5, unit: "mmol/l" } }] },
    { resourceType: "Observation", id: "lab-goed", status: "preliminary", category: [{ coding: [{ system: "http://hl7.org/fhir/observation-category", code: "laboratory" }] }], code: { text: "Natrium" }, effectiveDateTime: "2026-03-04", valueQuantity: { value: 140, unit: "mmol/l" }, referenceRange: [{ low: { value: 135, unit: "mmol/l" }, high: { value: 145, unit: "mmol/l" } }] },
    { resourceType: "Observation", id: "lab-ll", status: "final", category: [{ coding: [{ system: "http://snomed.info/sct", code: "275711006" }] }], code: { text: "Trombocyten" }, effectiveDateTime: "2026-03-04", valueQuantity: { value: 20, unit: "10*9/l" }, interpretation: { coding: [{ system: "http://hl7.org/fhir/v2/0078", code: "LL" }] }, referenceRange: [{ text: "150-400" }] },
  ] as unknown as FhirResource[];
  const html = await render(collectionPage("PGO", collection([...lab, ...extra], { gegevensdienstId: "24", zorgaanbieder: "ziekenhuisoost@medmij" }), "Laboratoriumresultaten", "t", TODAY));

  it("lists each test with value, unit, range and flag", () => {
    const r = rows(html, "Laboratoriumuitslagen");
    expect(r).toContainEqual(["Glucose [mol/volume] in serum of plasma", "10 mmol/l", "tot 7,8 mmol/l", "te hoog", "3 mrt 2026", ""].slice(0, r[0]!.length));
    expect(r.find((x) => x[0]!.startsWith("Albumine"))!.slice(1, 4)).toEqual(["60 mg/l", "0–20 mg/l", "te hoog"]);
    expect(r.find((x) => x[0]!.startsWith("Hemoglobine A1c"))!.slice(1, 4)).toEqual(["60 mmol/mol", "20–42 mmol/mol", "te hoog"]);
    expect(r.find((x) => x[0] === "Kalium")!.slice(1, 4)).toEqual(["3,1 mmol/l", "3,5–5 mmol/l", "te laag"]);
    expect(r.find((x) => x[0] === "Natrium")!.slice(1, 4)).toEqual(["140 mmol/l", "135–145 mmol/l", "normaal"]);
    expect(r.find((x) => x[0] === "Natrium")).toContain("voorlopig");
    expect(r.find((x) => x[0] === "Trombocyten")!.slice(1, 4)).toEqual(["20 10*9/l", "150-400", "veel te laag"]);
    expect(visible(html)).not.toMatch(ENGLISH);
  });

  it("keeps a decimal's precision (fhir/formats/json.ts) and writes it with a comma", () => {
    const r = parseFhirJson('{"resourceType":"Observation","valueQuantity":{"value":1.50,"unit":"mmol/l"}}');
    expect(formatQuantity(r.valueQuantity)).toBe("1,50 mmol/l");
  });

  it("reads interpretation codes of HL7 v2 and SNOMED, and computes from the range otherwise", () => {
    const obs = (o: object) => o as unknown as FhirResource;
    expect(flagOf(obs({ interpretation: { coding: [{ system: "http://hl7.org/fhir/v2/0078", code: "HH" }] } }))).toBe("veel te hoog");
    expect(flagOf(obs({ interpretation: { coding: [{ system: "http://hl7.org/fhir/v2/0078", code: "A" }] } }))).toBe("afwijkend");
    expect(flagOf(obs({ interpretation: { coding: [{ system: "http://snomed.info/sct", code: "281300000" }] } }))).toBe("te laag");
    expect(flagOf(obs({ valueQuantity: { value: 9, unit: "mmol/l" }, referenceRange: [{ high: { value: 7.8, unit: "mmol/l" } }] }))).toBe("te hoog");
    // A range in another unit, or a value with a comparator, is not compared.
    expect(flagOf(obs({ valueQuantity: { value: 9, unit: "mmol/l" }, referenceRange: [{ high: { value: 7.8, unit: "mg/dl" } }] }))).toBeUndefined();
    expect(flagOf(obs({ valueQuantity: { value: 9, comparator: "<", unit: "mmol/l" }, referenceRange: [{ high: { value: 7.8, unit: "mmol/l" } }] }))).toBeUndefined();
  });
});

// --- self measurements -----------------------------------------------------------------------------------------------

describe("self measurements (SelfMeasurements 2.0, patient XXX_Bergzoon) as charts over time", async () => {
  const html = await render(collectionPage("PGO", collection(self2, { gegevensdienstId: "1005" }), "Zelfmetingen", "t", TODAY));
  const svg = (id: string) => new RegExp(`<svg[^>]*aria-labelledby="${id}-titel[^"]*"[^>]*>.*?</svg>`, "s").exec(html)?.[0] ?? "";

  it("draws one point per measurement, blood pressure as two series, each chart with its table", () => {
    expect(svg("grafiek-bloeddruk").match(/<circle class="punt"/g)).toHaveLength(10);
    expect(svg("grafiek-bloeddruk").match(/<polyline /g)).toHaveLength(2);
    expect(svg("grafiek-bloeddruk")).toContain('stroke-dasharray="6 4"');
    expect(svg("grafiek-glucose").match(/<circle class="punt"/g)).toHaveLength(5);
    expect(svg("grafiek-gewicht").match(/<circle class="punt"/g)).toHaveLength(4);
    expect(svg("grafiek-hartslag").match(/<circle class="punt"/g)).toHaveLength(2);
    expect(rows(html, "Bloeddruk: alle waarden")).toHaveLength(5);
    expect(rows(html, "Glucose: alle waarden")).toHaveLength(5);
    // Newest first in the table; the chart's description names the span.
    expect(rows(html, "Bloeddruk: alle waarden")[0]![0]).toBe(formatDate(`${new Date(TODAY.getTime() - 5 * 86_400_000).toISOString().slice(0, 10)}T07:50:00+02:00`, { month: "short" }));
    expect(svg("grafiek-bloeddruk")).toMatch(/5 metingen van \d+ \w+ 2026 tot en met \d+ \w+ 2026\./);
    expect(svg("grafiek-bloeddruk")).toContain("<text x=\"14\"");
    expect(svg("grafiek-bloeddruk")).toContain(">Datum</text>");
  });

  it("says when glucose was measured relative to a meal", () => {
    const moments = rows(html, "Glucose: alle waarden").map((r) => r[2]);
    expect(moments.every((m) => ["willekeurig moment", "nuchter", "2 uur na de maaltijd"].includes(m!))).toBe(true);
  });

  it("has round ticks", () => {
    expect(niceTicks(56, 108).ticks).toEqual([40, 60, 80, 100, 120]);
    expect(niceTicks(5.2, 7.9)).toEqual({ ticks: [5, 6, 7, 8], digits: 0 });
    expect(niceTicks(0.2, 9.6)).toEqual({ ticks: [0, 2.5, 5, 7.5, 10], digits: 1 });
    expect(niceTicks(72, 72).ticks).toEqual([60, 65, 70, 75, 80]);
  });
});

// --- documents -------------------------------------------------------------------------------------------------------

describe("documents (PDF/A 3.0): listed with title, type, date, author; each opens through the PGO", async () => {
  const absolute = {
    resourceType: "DocumentReference",
    id: "absoluut",
    status: "current",
    type: { coding: [{ system: "http://loinc.org", code: "11488-4", display: "Consult Note" }] },
    indexed: "2026-05-20T09:00:00+02:00",
    content: [{ attachment: { contentType: "application/pdf", url: "https://umcharderwijk.zorgbridge.localhost/51/fhir/Binary/pdfa-binary2", title: "Consult met absolute URL" } }],
  } as unknown as FhirResource;
  const c = collection([...docs, absolute], { id: "c-docs", gegevensdienstId: "51" });
  const html = await render(collectionPage("PGO", c, "Documenten", "t", TODAY));
  const r = rows(html, "Documenten");
  const row = (title: string) => r.find((x) => x[0] === title)!;
  const cell = (title: string) => {
    const tr = [...html.matchAll(/<tr>(.*?)<\/tr>/gs)].map((m) => m[1]!).find((t) => t.includes(`>${title}</th>`))!;
    return tr.slice(tr.lastIndexOf("<td>"));
  };

  it("links a DocumentReference's Binary to the PGO's own download and inline view", () => {
    expect(row("Example PDF - Anterior Cervical Discectomy Fusion - Discharge Summary").slice(1, 6)).toEqual(["Neurological surgery Discharge summary", "11 jun 2025", "A.F. Snijder", "actueel", expect.stringMatching(/^Bekijken: .* · Downloaden: .* \(PDF, 106 kB\)$/)]);
    expect(cell("Example PDF - Anterior Cervical Discectomy Fusion - Discharge Summary")).toContain('<a href="/collections/c-docs/binary/pdfa-binary1?weergave=inline">Bekijken');
    expect(cell("Example PDF - Anterior Cervical Discectomy Fusion - Discharge Summary")).toContain('<a href="/collections/c-docs/binary/pdfa-binary1" download>Downloaden');
    expect(cell("Consult met absolute URL")).toContain('href="/collections/c-docs/binary/pdfa-binary2?weergave=inline"');
  });

  it('says "niet beschikbaar" when the Binary is not in the collection', () => {
    expect(row("Example PDF - Neurology Consult note").at(-1)).toBe("niet beschikbaar"); // Binary/foutieve-en-onbekend-id
    expect(row("Example PDF - Kopie van ontslagbrief").at(-1)).toBe("niet beschikbaar"); // Binary/pdfa-binary3 not fetched
    expect(r.filter((x) => x[0] === "Example PDF - Discharge Summary").map((x) => x.at(-1))).toEqual(["niet beschikbaar", "niet beschikbaar"]); // not a Binary URL
    expect(r.filter((x) => x[0] === "Example PDF - Discharge Summary").map((x) => x[4]).sort()).toEqual(["actueel", "foutief ingevoerd"]);
    expect(row("Example PDF - Verwijsbrief Arts")[4]).toBe("vervangen");
  });

  it("lists the DocumentManifests with their documents", () => {
    const m = rows(html, "Verzamelingen van documenten");
    expect(m).toContainEqual(["Documenten voor doktor Janssen over ontslag en verwijzing vanuit ziekenhuis", "1 jun 2026", "Helene XXX_Ellens", "Example PDF - Kopie van ontslagbrief; Example PDF - Verwijsbrief Arts", "actueel"]);
    expect(visible(html)).not.toMatch(ENGLISH);
  });

  it("resolves attachment URLs to Binary ids, and nothing else", () => {
    expect(binaryIdOf("Binary/pdfa-binary1")).toBe("pdfa-binary1");
    expect(binaryIdOf("https://x.example/51/fhir/Binary/abc-1.2")).toBe("abc-1.2");
    expect(binaryIdOf("https://informatiestandaarden.nictiz.nl/images/2/29/Example_PDF_-_Discharge_Summary.pdf")).toBeUndefined();
    expect(binaryIdOf("Binary/a?b")).toBeUndefined();
    expect(binaryIdOf("urn:uuid:8d6c5f4e-1111-4222-8333-944455556666")).toBeUndefined();
    expect(binaryIdOf("javascript:alert(1)//Binary/x")).toBeUndefined();
    expect(binaryIdOf("Binary/a%2F..")).toBeUndefined();
  });
});

// --- the overview ----------------------------------------------------------------------------------------------------

describe("Mijn gezondheidsgegevens: everything collected, merged per zib, each item with its source", async () => {
  const problem = bgz.find((r) => r.id === "medmij-bgz-condition-ts-01")!;
  const older = collection([{ ...problem, code: { text: "OUDE VERSIE" } }, { resourceType: "Flag", id: "alleen-oud", status: "active", code: { text: "Alleen in de oude ophaalactie" } } as unknown as FhirResource], { at: "2026-04-01T08:00:00Z" });
  const newer = collection(bgz, { at: "2026-05-03T08:00:00Z" });
  const labElsewhere = collection([...lab, { ...problem, code: { text: "Hetzelfde id bij een andere zorgaanbieder" } }], { zorgaanbieder: "ziekenhuisoost@medmij", gegevensdienstId: "24", at: "2026-05-10T09:30:00Z" });
  const deleted = collection([{ resourceType: "Flag", id: "weg", status: "active", code: { text: "VERWIJDERDE GEGEVENS" } } as unknown as FhirResource], { deletedAt: "2026-05-11T00:00:00Z" });
  const failed = collection([{ resourceType: "Flag", id: "mislukt", status: "active", code: { text: "MISLUKTE OPHAALACTIE" } } as unknown as FhirResource], { outcome: "failed" });
  const shared = collection([{ resourceType: "Observation", id: "gedeeld", status: "final", code: { text: "GEDEELDE METING" } } as unknown as FhirResource], { useCase: "delen", gegevensdienstId: "5" });
  const items = [older, newer, labElsewhere, deleted, failed, shared].map((detail) => ({ detail, gdNaam: detail.gegevensdienstId === "24" ? "Laboratoriumresultaten" : "Basisgegevens Zorg" }));
  const html = await render(overviewPage("PGO", items, TODAY));
  const text = visible(html);

  it("shows a resource a provider sent twice once, from the newest collection", () => {
    const problems = rows(html, "Problemen");
    expect(problems.filter((p) => p[0] === "Amyotrofe laterale sclerose")).toHaveLength(1);
    expect(text).not.toContain("OUDE VERSIE");
    // What only the older collection had is still there, with its own source.
    expect(rows(html, "Waarschuwingen")).toContainEqual(["Alleen in de oude ophaalactie", "", "", "actief", "umcharderwijk@medmij, Basisgegevens Zorg, opgehaald op 1 april 2026, 10:00"]);
  });

  it("keeps the same id from another provider apart, each with its source", () => {
    const problems = rows(html, "Problemen");
    expect(problems.find((p) => p[0] === "Hetzelfde id bij een andere zorgaanbieder")!.at(-1)).toBe("ziekenhuisoost@medmij, Laboratoriumresultaten, opgehaald op 10 mei 2026, 11:30");
    expect(problems.find((p) => p[0] === "Amyotrofe laterale sclerose")!.at(-1)).toBe("umcharderwijk@medmij, Basisgegevens Zorg, opgehaald op 3 mei 2026, 10:00");
    expect(rows(html, "Laboratoriumuitslagen").map((r) => r.at(-1))).toContain("ziekenhuisoost@medmij, Laboratoriumresultaten, opgehaald op 10 mei 2026, 11:30");
    expect(rows(html, "Bloeddruk: alle waarden")[0]).toEqual(["7 feb 2013, 07:53", "108/56 mmHg", "Zittende positie", "umcharderwijk@medmij, Basisgegevens Zorg, opgehaald op 3 mei 2026, 10:00"]);
    expect(text).toContain("Bron: umcharderwijk@medmij, Basisgegevens Zorg, opgehaald op 3 mei 2026, 10:00");
  });

  it("leaves out deleted, failed and shared collections", () => {
    expect(text).not.toContain("VERWIJDERDE GEGEVENS");
    expect(text).not.toContain("MISLUKTE OPHAALACTIE");
    expect(text).not.toContain("GEDEELDE METING");
  });

  it("has a table of contents and no English", () => {
    expect(headings(html)[0]).toBe("h1 Mijn gezondheidsgegevens");
    expect(html).toContain('<nav aria-label="Inhoud" class="inhoud"><ul><li><a href="#zib-patient">Persoonsgegevens en huisarts</a></li>');
    expect(text).not.toMatch(ENGLISH);
  });

  it("says so when nothing was collected", async () => {
    const empty = await render(overviewPage("PGO", [{ detail: failed, gdNaam: "Basisgegevens Zorg" }], TODAY));
    expect(visible(empty)).toContain("U hebt nog geen gezondheidsgegevens opgehaald.");
  });
});

// --- the Person's own measurements and documents ---------------------------------------------------------------------

const targets: OfferingView[] = [
  { zorgaanbieder: "umcharderwijk@medmij", gegevensdienstId: "5", naam: "Meetwaarden vitale functies", useCase: "delen" },
  { zorgaanbieder: "ziekenhuisoost@medmij", gegevensdienstId: "5", naam: "Meetwaarden vitale functies", useCase: "delen" },
];

const measurements: OwnMeasurement[] = [
  { id: "m-1", kind: "bloeddruk", at: "2026-05-01T07:30:00+02:00", values: [128, 79], enteredAt: "2026-05-01T07:31:00Z", sharedAt: null },
  { id: "m-2", kind: "bloeddruk", at: "2026-05-08T07:30:00+02:00", values: [131, 82], enteredAt: "2026-05-08T07:31:00Z", sharedAt: "2026-05-09T12:00:00Z" },
  { id: "m-3", kind: "bloeddruk", at: "2026-05-15T07:30:00+02:00", values: [122, 77], enteredAt: "2026-05-15T07:31:00Z", sharedAt: null },
  { id: "m-4", kind: "gewicht", at: "2026-05-01T07:00:00+02:00", values: [81.4], enteredAt: "2026-05-01T07:01:00Z", sharedAt: null },
  { id: "m-5", kind: "glucose", at: "2026-05-02T07:00:00+02:00", values: [5.6], moment: "nuchter", enteredAt: "2026-05-02T07:01:00Z", sharedAt: null },
];

describe("Mijn metingen", async () => {
  const html = await render(measurementsPage("PGO", "csrf-m", measurements, targets));

  it("charts the Person's own measurements with their tables", () => {
    expect(headings(html).slice(0, 5)).toEqual(["h1 Mijn metingen", "h2 Bloeddruk", "h2 Gewicht", "h2 Glucose", "h2 Meting invoeren"]);
    const bp = /<svg[^>]*aria-labelledby="mijn-bloeddruk-titel[^>]*>.*?<\/svg>/s.exec(html)![0];
    expect(bp.match(/<circle class="punt"/g)).toHaveLength(6);
    expect(rows(html, "Bloeddruk: alle waarden")).toEqual([
      ["15 mei 2026, 07:30", "122/77 mmHg", "", "nee"],
      ["8 mei 2026, 07:30", "131/82 mmHg", "", "ja, 9 mei 2026, 14:00"],
      ["1 mei 2026, 07:30", "128/79 mmHg", "", "nee"],
    ].map((r) => r.filter((_, i) => i !== 2)));
    expect(rows(html, "Gewicht: alle waarden")).toEqual([["1 mei 2026, 07:00", "81,4 kg", "nee"]]);
    expect(rows(html, "Glucose: alle waarden")).toEqual([["2 mei 2026, 07:00", "5,6 mmol/l", "nuchter", "nee"]]);
  });

  it("has a form per kind to enter one: csrf, kind, systolic and diastolic or value, an optional time", () => {
    const forms = [...html.matchAll(/<form method="post" action="\/metingen"[^>]*>(.*?)<\/form>/gs)].map((m) => m[1]!);
    expect(forms.map((f) => /name="kind" value="([^"]+)"/.exec(f)?.[1])).toEqual(["bloeddruk", "gewicht", "lengte", "hartslag", "glucose"]);
    for (const f of forms) {
      expect(f).toContain('<input type="hidden" name="csrf" value="csrf-m">');
      expect(f).toMatch(/name="at" type="datetime-local">/);
      expect(f).not.toMatch(/name="at"[^>]*required/);
    }
    expect(forms[0]).toMatch(/name="systolic" inputmode="numeric"[^>]*required/);
    expect(forms[0]).toMatch(/name="diastolic"/);
    expect(forms[0]).not.toMatch(/name="value"/);
    for (const f of forms.slice(1)) expect(f).toMatch(/name="value" inputmode="(decimal|numeric)" pattern="\[0-9\]\+\(\[,\.\]\[0-9\]\+\)\?"/);
    expect(forms[4]).toContain('<select id="invoer-glucose-moment" name="moment">');
  });

  it("has a share form per target: csrf, zorgaanbieder, gegevensdienst, measurement checkboxes or a period", () => {
    const forms = [...html.matchAll(/<form method="post" action="\/delen">(.*?)<\/form>/gs)].map((m) => m[1]!);
    expect(forms).toHaveLength(2);
    forms.forEach((f, i) => {
      expect(f).toContain('<input type="hidden" name="csrf" value="csrf-m">');
      expect(f).toContain(`<input type="hidden" name="zorgaanbieder" value="${targets[i]!.zorgaanbieder}"><input type="hidden" name="gegevensdienst" value="5">`);
      expect([...f.matchAll(/type="checkbox" id="[^"]+" name="m" value="([^"]+)"/g)].map((m) => m[1])).toEqual(["m-3", "m-2", "m-5", "m-1", "m-4"]);
      expect(f).toMatch(/name="van" type="date">/);
      expect(f).toMatch(/name="tot" type="date">/);
    });
    expect(visible(html)).toContain("Bloeddruk 122/77 mmHg, 15 mei 2026, 07:30");
    expect(visible(html)).not.toMatch(ENGLISH);
  });

  it("says so when there is nothing yet", async () => {
    const empty = visible(await render(measurementsPage("PGO", "c", [], [])));
    expect(empty).toContain("U hebt nog geen metingen ingevoerd.");
    expect(empty).toContain("Er is (nog) geen zorgaanbieder die metingen van u kan ontvangen.");
  });
});

const ownDocs: OwnDocument[] = [
  { id: "d-1", title: "Verwijsbrief fysiotherapie", type: "11051000146107", contentType: "application/pdf", size: 140_900, uploadedAt: "2026-05-02T10:00:00Z", sharedAt: null },
  { id: "d-2", title: "Ontslagbrief", type: "11071000146104", contentType: "application/pdf", size: 2_345_678, uploadedAt: "2026-05-04T10:00:00Z", sharedAt: "2026-05-05T08:00:00Z" },
];

describe("Mijn documenten", async () => {
  const docTargets: OfferingView[] = [{ zorgaanbieder: "umcharderwijk@medmij", gegevensdienstId: "1051", naam: "Documenten delen", useCase: "delen" }];
  const html = await render(documentsPage("PGO", "csrf-d", ownDocs, docTargets));

  it("lists the documents with a download link each", () => {
    expect(rows(html, "Mijn documenten")).toEqual([
      ["Ontslagbrief", "Ontslagbrief", "2,3 MB", "4 mei 2026, 12:00", "ja, 5 mei 2026, 10:00", "Downloaden: Ontslagbrief"],
      ["Verwijsbrief fysiotherapie", "Verwijsbrief", "141 kB", "2 mei 2026, 12:00", "nee", "Downloaden: Verwijsbrief fysiotherapie"],
    ]);
    expect(html).toContain('<a href="/documenten/d-1">Downloaden<span class="sr-only">: Verwijsbrief fysiotherapie</span></a>');
  });

  it("has an upload form: multipart, csrf, a PDF file, a title, a type from DOCUMENT_TYPES", () => {
    const form = /<form method="post" action="\/documenten" enctype="multipart\/form-data">(.*?)<\/form>/s.exec(html)![1]!;
    expect(form).toContain('<input type="hidden" name="csrf" value="csrf-d">');
    expect(form).toContain('name="file" type="file" accept="application/pdf" required');
    expect(form).toMatch(/name="title"[^>]*required/);
    expect([...form.matchAll(/<option value="([^"]+)">/g)].map((m) => m[1])).toEqual(DOCUMENT_TYPES.map((t) => t.code));
  });

  it("has a share form per target with a checkbox per document", () => {
    const form = /<form method="post" action="\/delen">(.*?)<\/form>/s.exec(html)![1]!;
    expect(form).toContain('<input type="hidden" name="csrf" value="csrf-d"><input type="hidden" name="zorgaanbieder" value="umcharderwijk@medmij"><input type="hidden" name="gegevensdienst" value="1051">');
    expect([...form.matchAll(/name="d" value="([^"]+)"/g)].map((m) => m[1])).toEqual(["d-2", "d-1"]);
    expect(visible(html)).not.toMatch(ENGLISH);
  });
});

// --- the dashboard ---------------------------------------------------------------------------------------------------

describe("the dashboard", async () => {
  const person: PgoPerson = { id: "p1", naam: "Johan Jansen", kind: "test-person" };
  const offerings: OfferingView[] = [
    { zorgaanbieder: "umcharderwijk@medmij", gegevensdienstId: "48", naam: "Basisgegevens Zorg", useCase: "verzamelen" },
    { zorgaanbieder: "umcharderwijk@medmij", gegevensdienstId: "5", naam: "Meetwaarden vitale functies", useCase: "delen" },
    { zorgaanbieder: "umcharderwijk@medmij", gegevensdienstId: "1051", naam: "Documenten delen", useCase: "delen" },
  ];
  const summary = (o: Partial<CollectionSummary>): CollectionSummary => ({ id: "x", zorgaanbieder: "umcharderwijk@medmij", gegevensdienstId: "48", useCase: "verzamelen", outcome: "completed", at: "2026-05-03T08:00:00Z", resourceCount: 12, deletedAt: null, ...o });
  const list = [summary({ id: "a" }), summary({ id: "b", outcome: "failed", resourceCount: 0 }), summary({ id: "c", outcome: "denied", resourceCount: 0 }), summary({ id: "d", useCase: "delen", gegevensdienstId: "5", resourceCount: 1 }), summary({ id: "e", deletedAt: "2026-05-04T00:00:00Z" })];
  const html = await render(dashboard("PGO", person, "csrf-x", "", offerings, list));

  it("links the Person's own pages", () => {
    for (const p of ["/gegevens", "/metingen", "/documenten"]) expect(html).toContain(`<a href="${p}">`);
  });

  it("shows outcome and use case in Dutch, the Gegevensdienst by name", () => {
    expect(rows(html, "Opgehaalde en gedeelde gegevens").map((r) => r.slice(0, 5))).toEqual([
      ["3 mei 2026, 10:00", "umcharderwijk@medmij", "Basisgegevens Zorg", "Opgehaald", "voltooid (12 gegevens)"],
      ["3 mei 2026, 10:00", "umcharderwijk@medmij", "Basisgegevens Zorg", "Opgehaald", "mislukt"],
      ["3 mei 2026, 10:00", "umcharderwijk@medmij", "Basisgegevens Zorg", "Opgehaald", "geweigerd"],
      ["3 mei 2026, 10:00", "umcharderwijk@medmij", "Meetwaarden vitale functies", "Gedeeld", "voltooid (1 gegeven)"],
      ["3 mei 2026, 10:00", "umcharderwijk@medmij", "Basisgegevens Zorg", "Opgehaald", "verwijderd"],
    ]);
    expect(visible(html)).not.toMatch(ENGLISH);
  });

  it("starts Verzamelen with a form and Delen from the page of what is shared", () => {
    expect(html).toContain('<form method="post" action="/verzamelen"><input type="hidden" name="csrf" value="csrf-x"><input type="hidden" name="zorgaanbieder" value="umcharderwijk@medmij"><input type="hidden" name="gegevensdienst" value="48"><button class="primary" type="submit">Verzamelen: Basisgegevens Zorg</button></form>');
    expect(html).toContain('<a class="knop" href="/metingen">Delen: Meetwaarden vitale functies</a>');
    expect(html).toContain('<a class="knop" href="/documenten">Delen: Documenten delen</a>');
    expect(html).not.toContain('action="/delen"');
  });
});

// --- escaping --------------------------------------------------------------------------------------------------------

describe("every interpolated string is escaped, in HTML and in SVG", async () => {
  const evil = "<script>alert(1)</script>";
  const resources = [
    { resourceType: "Patient", id: "p", name: [{ text: `<img src=x onerror=alert(1)>` }], generalPractitioner: [{ display: `"><script>gp()</script>` }] },
    { resourceType: "Condition", id: "c", clinicalStatus: "active", code: { text: evil }, note: [{ text: "a & b < c" }] },
    { resourceType: "Observation", id: "bp", status: "final", code: { coding: [{ system: "http://loinc.org", code: "85354-9" }] }, effectiveDateTime: "2026-05-01T08:00:00+02:00", component: [{ code: { coding: [{ system: "http://loinc.org", code: "8480-6" }] }, valueQuantity: { value: 120, unit: `</text><script>s()</script>` } }, { code: { coding: [{ system: "http://loinc.org", code: "8462-4" }] }, valueQuantity: { value: 80, unit: "mmHg" } }] },
    { resourceType: "Observation", id: "w", status: "final", code: { coding: [{ system: "http://loinc.org", code: "29463-7" }] }, effectiveDateTime: "2026-05-01", valueQuantity: { value: 70, unit: `kg" onload="x` } },
    // A vital sign without a chart kind of its own: its name and unit come from the data, into the chart.
    { resourceType: "Observation", id: "bmi", status: "final", category: [{ coding: [{ system: "http://hl7.org/fhir/observation-category", code: "vital-signs" }] }], code: { coding: [{ system: "http://loinc.org", code: "39156-5\"><script>" }], text: evil }, effectiveDateTime: "2026-05-01", valueQuantity: { value: 24.1, unit: `</text><script>s()</script>` } },
    { resourceType: "Observation", id: "l", status: "final", category: [{ coding: [{ system: "http://snomed.info/sct", code: "49581000146104" }] }], code: { text: evil }, valueString: evil, referenceRange: [{ text: evil }] },
    { resourceType: "DocumentReference", id: "d", status: "current", description: evil, content: [{ attachment: { url: "Binary/b1", title: `<script>t()</script>` } }] },
    { resourceType: "Binary", id: "b1", contentType: "application/pdf", content: "JVBERi0=" },
    { resourceType: "MedicationStatement", id: "m", status: "active", medicationCodeableConcept: { text: evil }, dosage: [{ text: evil }] },
  ] as unknown as FhirResource[];
  const c = collection(resources, { id: `c"><script>`, zorgaanbieder: `a"b<script>@medmij` });
  const collectionHtml = await collectionPage("PGO <script>", c, `<i>Basisgegevens</i>`, `"><script>csrf()</script>`, TODAY).text();
  const overviewHtml = await overviewPage("PGO", [{ detail: c, gdNaam: "<b>x</b>" }], TODAY).text();
  const ownHtml = await measurementsPage("PGO", `"><script>`, [{ id: `x"><script>`, kind: "gewicht", at: "2026-05-01T08:00:00+02:00", values: [70], enteredAt: "2026-05-01T08:00:00Z", sharedAt: null }], [{ zorgaanbieder: `z"><script>`, gegevensdienstId: `5"><script>`, naam: evil, useCase: "delen" }]).text();
  const docHtml = await documentsPage("PGO", "t", [{ ...ownDocs[0]!, id: `d"><script>`, title: evil }], [{ zorgaanbieder: "z", gegevensdienstId: "1051", naam: evil, useCase: "delen" }]).text();

  it("no markup from the data survives", () => {
    for (const html of [collectionHtml, overviewHtml, ownHtml, docHtml]) {
      expect(html).not.toMatch(/<script/i);
      expect(html).not.toMatch(/<img/i);
      expect(html).not.toMatch(/<(i|b)>/);
      expect(html).not.toMatch(/\sonload="/);
      expect(html).toContain("&lt;script&gt;");
    }
    expect(collectionHtml).toContain("&lt;img src=x onerror=alert(1)&gt;");
    expect(collectionHtml).toContain("a &amp; b &lt; c");
    // In the chart: the unit is text inside <text> and <title>, escaped.
    const svgs = [...collectionHtml.matchAll(/<svg\b.*?<\/svg>/gs)].map((m) => m[0]);
    expect(svgs).toHaveLength(3);
    expect(svgs[2]).toContain('rotate(-90 14 134)">&lt;/text&gt;&lt;script&gt;s()&lt;/script&gt;</text>');
    expect(svgs[2]).toContain("<title id=\"grafiek-loinc-39156-5script-titel\">&lt;script&gt;alert(1)&lt;/script&gt; (&lt;/text&gt;&lt;script&gt;s()&lt;/script&gt;) in de tijd</title>");
    expect(collectionHtml).toContain("120/80 &lt;/text&gt;&lt;script&gt;s()&lt;/script&gt;");
    expect(collectionHtml).toContain("kg&quot; onload=&quot;x");
    // Links carry ids percent-encoded inside an escaped attribute.
    expect(collectionHtml).toContain('href="/collections/c%22%3E%3Cscript%3E/binary/b1?weergave=inline"');
    expect(docHtml).toContain('href="/documenten/d%22%3E%3Cscript%3E"');
    expect(ownHtml).toContain('value="x&quot;&gt;&lt;script&gt;"');
  });
});

// --- reading FHIR ----------------------------------------------------------------------------------------------------

describe("reading FHIR safely", () => {
  it("formats FHIR dates in Dutch without shifting a date by a time zone", () => {
    expect(formatDate("2001")).toBe("2001");
    expect(formatDate("2012-06")).toBe("juni 2012");
    expect(formatDate("2012-06-05")).toBe("5 juni 2012");
    expect(formatDate("2012-06-05", { month: "short" })).toBe("5 jun 2012");
    expect(formatDate("2013-07-07T23:30:00Z")).toBe("8 juli 2013, 01:30");
    expect(formatDate("2025-06-11T00:00:00+02:00")).toBe("11 juni 2025");
    expect(formatDate("not a date")).toBeUndefined();
    expect(formatDate(42)).toBeUndefined();
  });

  it("composes a dose from timing, dose quantity, route and 'zo nodig' when there is no text", () => {
    expect(dosageText({ timing: { repeat: { frequency: 3, period: 1, periodUnit: "d", boundsDuration: { value: 5, unit: "dag", system: "http://unitsofmeasure.org", code: "d" } } }, doseQuantity: { value: 2, unit: "stuk" }, route: { text: "Oraal" } })).toBe("gedurende 5 dagen, 3 maal per dag, 2 stuk, oraal");
    expect(dosageText({ timing: { repeat: { period: 8, periodUnit: "h" } }, asNeededBoolean: true, doseQuantity: { value: 0.5, unit: "ml" } })).toBe("1 maal per 8 uur, zo nodig, 0,5 ml");
    expect(dosageText({})).toBeUndefined();
  });

  it("writes Dutch names with the call name, not all given names", () => {
    expect(humanName({ family: "XXX_Helleman", given: ["Johan", "Johan", "J."], _given: [{ extension: [{ url: "http://hl7.org/fhir/StructureDefinition/iso21090-EN-qualifier", valueCode: "BR" }] }, { extension: [{ url: "http://hl7.org/fhir/StructureDefinition/iso21090-EN-qualifier", valueCode: "CL" }] }, { extension: [{ url: "http://hl7.org/fhir/StructureDefinition/iso21090-EN-qualifier", valueCode: "IN" }] }] })).toBe("Johan XXX_Helleman");
    expect(humanName({ family: "Kneder", given: ["B."], _given: [{ extension: [{ url: "http://hl7.org/fhir/StructureDefinition/iso21090-EN-qualifier", valueCode: "IN" }] }] })).toBe("B. Kneder");
  });

  it("shows what is not FHIR JSON as unreadable, not as an error", async () => {
    const html = await collectionPage("PGO", collection([]), "Basisgegevens Zorg", "t", TODAY).text();
    expect(visible(html)).toContain("Er zijn bij deze ophaalactie geen gegevens ontvangen.");
    const broken = { ...collection([]), resources: ["{not json", "[]", '{"resourceType":"Flag","id":"ok","status":"active","code":{"text":"Leesbaar"}}'] };
    const text = visible(await collectionPage("PGO", broken, "Basisgegevens Zorg", "t", TODAY).text());
    expect(text).toContain("Leesbaar");
    expect(text).toContain("2 gegevens konden niet worden gelezen.");
  });
});
