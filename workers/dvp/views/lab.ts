/**
 * zib LaboratoryTestResult (Observation with category laboratory, SNOMED 49581000146104 or 275711006; Specimen;
 * DiagnosticReport): per test the value, the unit, the reference range and whether the value is outside it, said
 * in words ("te hoog", "te laag"), not by colour alone. The flag is the provider's interpretation when it gives
 * one (HL7 v2 table 0078 or SNOMED), else computed from the value and the range.
 */
import { type Html, h } from "../../shared/html/page.ts";
import { type R, codings, conceptText, conceptsText, formatDate, formatRange, formatValue, formatWhen, instant, num, obj, objs, str, unitOf, whenInstant } from "./fhir-read.ts";
import type { Item } from "./items.ts";
import { refName, refNames } from "./refs.ts";
import { type ViewOptions, dataTable, newestFirst, section, withSource } from "./table.ts";
import { statusWord } from "./words.ts";

const V2_0078 = ["http://hl7.org/fhir/v2/0078", "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation", "http://hl7.org/fhir/v3/ObservationInterpretation"];
const SNOMED = "http://snomed.info/sct";

export type Flag = "te hoog" | "veel te hoog" | "te laag" | "veel te laag" | "afwijkend" | "sterk afwijkend" | "normaal" | "boven het meetbereik" | "onder het meetbereik" | "positief" | "negatief" | "resistent" | "gevoelig" | "matig gevoelig";

const V2_FLAGS: Readonly<Record<string, Flag>> = {
  H: "te hoog",
  HH: "veel te hoog",
  HU: "veel te hoog",
  L: "te laag",
  LL: "veel te laag",
  LU: "veel te laag",
  A: "afwijkend",
  AA: "sterk afwijkend",
  N: "normaal",
  ">": "boven het meetbereik",
  "<": "onder het meetbereik",
  POS: "positief",
  NEG: "negatief",
  R: "resistent",
  S: "gevoelig",
  I: "matig gevoelig",
};

const SNOMED_FLAGS: Readonly<Record<string, Flag>> = {
  "281302008": "te hoog",
  "281300000": "te laag",
  "281301001": "normaal",
  "263654008": "afwijkend",
  "17621005": "normaal",
  "10828004": "positief",
  "260385009": "negatief",
};

/** Flags that mean "outside the range" (shown emphasised, in words). */
const OUT_OF_RANGE = new Set<Flag>(["te hoog", "veel te hoog", "te laag", "veel te laag", "afwijkend", "sterk afwijkend", "boven het meetbereik", "onder het meetbereik"]);

/** The provider's interpretation in words; else the value against the (first) reference range. */
export function flagOf(r: R): Flag | undefined {
  for (const c of codings(r.interpretation)) {
    if (!c.code) continue;
    if (c.system && V2_0078.includes(c.system) && Object.hasOwn(V2_FLAGS, c.code)) return V2_FLAGS[c.code];
    if (c.system === SNOMED && Object.hasOwn(SNOMED_FLAGS, c.code)) return SNOMED_FLAGS[c.code];
  }
  const q = obj(r.valueQuantity);
  const v = num(q?.value);
  if (v === undefined || str(q?.comparator)) return undefined;
  const range = objs(r.referenceRange)[0];
  if (!range) return undefined;
  // Only a range in the value's own unit (or none stated) is compared.
  const same = (b: unknown): boolean => {
    const bound = obj(b);
    if (!bound) return false;
    if (typeof bound.code === "string" && typeof q?.code === "string") return bound.code === q.code;
    return unitOf(bound) === undefined || unitOf(bound) === unitOf(q);
  };
  const low = same(range.low) ? num(obj(range.low)?.value) : undefined;
  const high = same(range.high) ? num(obj(range.high)?.value) : undefined;
  if (low === undefined && high === undefined) return undefined;
  if (high !== undefined && v > high) return "te hoog";
  if (low !== undefined && v < low) return "te laag";
  return "normaal";
}

export function flagCell(r: R): Html | undefined {
  const f = flagOf(r);
  if (!f) return undefined;
  return OUT_OF_RANGE.has(f) ? h`<strong class="afwijkend">${f}</strong>` : h`${f}`;
}

export function rangeText(r: R): string | undefined {
  const list = objs(r.referenceRange)
    .map((rr) => [formatRange(rr), str(rr.text)].filter(Boolean).join(" "))
    .filter((s) => s !== "");
  return list.length ? list.join("; ") : undefined;
}

function specimen(i: Item): string | undefined {
  const s = i.bag.resolve(i.r.specimen);
  return (s ? conceptText(s.type) : undefined) ?? refName(i.bag, i.r.specimen, i.r);
}

function resultValue(r: R): string | undefined {
  const v = formatValue(r);
  if (v) return v;
  const parts = objs(r.component)
    .map((c) => [conceptText(c.code), formatValue(c)].filter(Boolean).join(": "))
    .filter((s) => s !== "");
  return parts.length ? parts.join("; ") : (conceptText(r.dataAbsentReason) ?? undefined);
}

const status = (r: R): string | undefined => (r.status === undefined || r.status === "final" ? undefined : statusWord(r.status));

export function labSection(items: readonly Item[], o: ViewOptions): Html {
  const results = items.filter((i) => i.r.resourceType === "Observation");
  const reports = items.filter((i) => i.r.resourceType === "DiagnosticReport");
  if (results.length === 0 && reports.length === 0) return h``;
  const rows = newestFirst(results, (i) => whenInstant(i.r, "effective") ?? instant(i.r.issued));
  const table =
    results.length === 0
      ? h``
      : dataTable(
          "Laboratoriumuitslagen",
          withSource(
            [
              { head: "Test", cell: (i: Item) => conceptText(i.r.code) ?? "onbekende test" },
              { head: "Uitslag", cell: (i) => resultValue(i.r) },
              { head: "Referentiewaarde", cell: (i) => rangeText(i.r) },
              { head: "Beoordeling", cell: (i) => flagCell(i.r) },
              { head: "Datum", cell: (i) => formatWhen(i.r, "effective") ?? formatDate(i.r.issued, { month: "short" }) },
              { head: "Materiaal", cell: specimen },
              { head: "Status", cell: (i) => status(i.r) },
              { head: "Toelichting", cell: (i) => str(i.r.comment) },
            ],
            o,
          ),
          rows,
        );
  const reportTable =
    reports.length === 0
      ? h``
      : h`<h3>Onderzoeksverslagen</h3>${dataTable(
          "Onderzoeksverslagen",
          withSource(
            [
              { head: "Onderzoek", cell: (i: Item) => conceptText(i.r.code) ?? "onderzoek" },
              { head: "Datum", cell: (i) => formatWhen(i.r, "effective") ?? formatDate(i.r.issued, { month: "short" }) },
              { head: "Conclusie", cell: (i) => [str(i.r.conclusion), conceptsText(i.r.codedDiagnosis)].filter(Boolean).join(" ") || undefined },
              { head: "Uitslagen", cell: (i) => refNames(i.bag, i.r.result, i.r) },
              { head: "Status", cell: (i) => status(i.r) },
            ],
            o,
          ),
          newestFirst(reports, (i) => whenInstant(i.r, "effective") ?? instant(i.r.issued)),
        )}`;
  return section("laboratorium", h`${table}${reportTable}`, items, o);
}
