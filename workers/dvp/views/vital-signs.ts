/**
 * Measurements over time: the vital-sign zibs (BloodPressure LOINC 85354-9 with systolic 8480-6 and diastolic
 * 8462-4, BodyWeight 29463-7, BodyHeight 8302-2/8306-3/8308-9, HeartRate 8867-4, GlucoseLevel 14743-9/14770-2/
 * 14760-3, and the others of SelfMeasurements 2.0), from a provider or entered by the Person. Each kind is a chart
 * with a table of the same values beside it (the table is what a screen reader reads).
 */
import { type Html, h } from "../../shared/html/page.ts";
import type { OwnMeasurement } from "../own-data.ts";
import { lineChart, type ChartSeries } from "./chart.ts";
import { type R, codeIn, conceptText, formatDate, formatNumber, formatValue, hasCode, num, obj, objs, str, unitOf, whenInstant, choice } from "./fhir-read.ts";
import type { Item, Source } from "./items.ts";
import { type Cell, type ViewOptions, dataTable, newestFirst, section, sourceText } from "./table.ts";
import { DIASTOLIC, GLUCOSE_MOMENT, SYSTOLIC, VITAL_KINDS, type VitalKind, loincOf, vitalKindOf } from "./zibs.ts";

const LOINC = "http://loinc.org";

export interface MeasurePoint {
  /** Milliseconds since the epoch (undefined: not dated, in the table only). */
  readonly t?: number;
  /** The moment as written (FHIR dateTime or ISO 8601). */
  readonly at?: string;
  /** Numbers for the chart: one, or systolic and diastolic. */
  readonly values: readonly (number | undefined)[];
  /** The value as the table shows it: "108/56 mmHg", "72 kg". */
  readonly text: string;
  /** Glucose: the moment relative to a meal; others: the method or position when given. */
  readonly note?: string;
  readonly src?: Source;
  /** Own measurements: when last shared, in words. */
  readonly shared?: string;
}

export interface MeasureGroup {
  /** Chart kind, or `loinc-<code>` for a vital sign without one. */
  readonly key: string;
  readonly title: string;
  readonly unit: string;
  readonly bloodPressure: boolean;
  readonly points: MeasurePoint[];
}

const BP_POSITION = "8361-8";

function componentValue(r: R, codes: readonly string[]): R | undefined {
  return objs(r.component).find((c) => hasCode(c.code, LOINC, ...codes));
}

/** One Observation as a point of its kind's chart. */
export function pointOf(item: Item, kind: VitalKind | undefined): MeasurePoint {
  const r = item.r;
  const t = whenInstant(r, "effective");
  const at = str(choice(r, "effective")?.value) ?? str(obj(r.effectivePeriod)?.start);
  if (kind === "bloeddruk") {
    const sys = obj(componentValue(r, SYSTOLIC)?.valueQuantity);
    const dia = obj(componentValue(r, DIASTOLIC)?.valueQuantity);
    const unit = unitOf(sys) ?? unitOf(dia) ?? "mmHg";
    const text = `${formatNumber(sys?.value) ?? "?"}/${formatNumber(dia?.value) ?? "?"} ${unit}`;
    const position = conceptText(componentValue(r, [BP_POSITION])?.valueCodeableConcept);
    return { t, at, values: [num(sys?.value), num(dia?.value)], text, note: position, src: item.src };
  }
  const q = obj(r.valueQuantity);
  const note = kind === "glucose" ? GLUCOSE_MOMENT[codeIn(r.code, LOINC) ?? ""] : undefined;
  return { t, at, values: [num(q?.value)], text: formatValue(r) ?? "geen waarde", note, src: item.src };
}

/** Observations grouped by kind, in VITAL_KINDS order, then the other vital signs by LOINC code. */
export function groupsOf(items: readonly Item[]): MeasureGroup[] {
  const groups = new Map<string, MeasureGroup>();
  for (const item of items) {
    const kind = vitalKindOf(item.r);
    const spec = VITAL_KINDS.find((v) => v.kind === kind);
    const code = loincOf(item.r) ?? "onbekend";
    const key = spec ? spec.kind : `loinc-${code.replace(/[^A-Za-z0-9-]/g, "")}`;
    let g = groups.get(key);
    if (!g) {
      const unit = spec?.unit ?? unitOf(item.r.valueQuantity) ?? "";
      g = { key, title: spec?.title ?? conceptText(item.r.code) ?? "Meting", unit, bloodPressure: kind === "bloeddruk", points: [] };
      groups.set(key, g);
    }
    g.points.push(pointOf(item, kind));
  }
  const order = (k: string) => {
    const i = VITAL_KINDS.findIndex((v) => v.kind === k);
    return i === -1 ? VITAL_KINDS.length : i;
  };
  return [...groups.values()].sort((a, b) => order(a.key) - order(b.key));
}

export interface BlockOptions {
  /** Heading level of the kind's title. */
  readonly level: 2 | 3;
  /** A "Bron" column. */
  readonly perItemSource: boolean;
  /** A "Gedeeld" column (own measurements). */
  readonly shared?: boolean;
  /** Prefix of the chart's id, unique on the page. */
  readonly idPrefix: string;
}

/** A kind's heading, chart and table. */
export function measureBlock(g: MeasureGroup, o: BlockOptions): Html {
  const dated = g.points.filter((p) => p.t !== undefined);
  const label = (p: MeasurePoint, v: number | undefined) => `${formatDate(p.at, { month: "short" }) ?? ""}: ${v === undefined ? "" : (formatNumber(String(v)) ?? "")} ${g.unit}`.trim();
  const series: ChartSeries[] = g.bloodPressure
    ? [
        { name: "Bovendruk (systolisch)", points: dated.flatMap((p) => (p.values[0] === undefined ? [] : [{ t: p.t!, v: p.values[0], label: label(p, p.values[0]) }])) },
        { name: "Onderdruk (diastolisch)", points: dated.flatMap((p) => (p.values[1] === undefined ? [] : [{ t: p.t!, v: p.values[1], label: label(p, p.values[1]) }])) },
      ]
    : [{ name: g.title, points: dated.flatMap((p) => (p.values[0] === undefined ? [] : [{ t: p.t!, v: p.values[0], label: label(p, p.values[0]) }])) }];
  const chart = lineChart({ id: `${o.idPrefix}-${g.key}`, title: g.title, unit: g.unit, series });
  const noteHead = g.key === "glucose" ? "Moment" : g.bloodPressure ? "Houding" : "Toelichting";
  const cols: { head: string; cell: (p: MeasurePoint) => Cell }[] = [
    { head: "Datum", cell: (p) => formatDate(p.at, { month: "short" }) ?? "onbekend" },
    { head: g.bloodPressure ? "Bloeddruk (boven/onder)" : g.title, cell: (p) => p.text },
    { head: noteHead, cell: (p) => p.note },
    ...(o.shared ? [{ head: "Gedeeld", cell: (p: MeasurePoint) => p.shared ?? "nee" }] : []),
    ...(o.perItemSource ? [{ head: "Bron", cell: (p: MeasurePoint) => (p.src ? sourceText(p.src) : undefined) }] : []),
  ];
  const table = dataTable(`${g.title}: alle waarden`, cols, newestFirst(g.points, (p) => p.t));
  const heading = o.level === 2 ? h`<h2 id="kop-${o.idPrefix}-${g.key}">${g.title}</h2>` : h`<h3 id="kop-${o.idPrefix}-${g.key}">${g.title}</h3>`;
  return h`<div class="meting" role="group" aria-labelledby="kop-${o.idPrefix}-${g.key}">${heading}
<div class="grafiek-en-tabel">${chart}${table}</div></div>
`;
}

/** The "Metingen" section of a collection or the overview. */
export function measurementsSection(items: readonly Item[], o: ViewOptions): Html {
  if (items.length === 0) return h``;
  const blocks = groupsOf(items).map((g) => measureBlock(g, { level: 3, perItemSource: o.perItemSource, idPrefix: "grafiek" }));
  return section("metingen", h`${blocks}`, items, o);
}

// --- the Person's own measurements ---------------------------------------------------------------------------------

const OWN_MOMENT: Readonly<Record<string, string>> = { willekeurig: "willekeurig moment", nuchter: "nuchter", "na-maaltijd": "2 uur na de maaltijd" };

/** The Person's own measurements, grouped by kind as the provider's are. */
export function ownGroups(ms: readonly OwnMeasurement[]): MeasureGroup[] {
  const out: MeasureGroup[] = [];
  for (const spec of VITAL_KINDS) {
    const mine = ms.filter((m) => m.kind === spec.kind);
    if (mine.length === 0) continue;
    const points = mine.map((m): MeasurePoint => {
      const t = Date.parse(m.at);
      const v = m.values.map((x) => (Number.isFinite(x) ? x : undefined));
      const text = spec.kind === "bloeddruk" ? `${formatNumber(String(m.values[0])) ?? "?"}/${formatNumber(String(m.values[1])) ?? "?"} ${spec.unit}` : `${formatNumber(String(m.values[0])) ?? "?"} ${spec.unit}`;
      return {
        t: Number.isNaN(t) ? undefined : t,
        at: m.at,
        values: v,
        text,
        note: m.kind === "glucose" ? OWN_MOMENT[m.moment ?? "willekeurig"] : undefined,
        shared: m.sharedAt ? `ja, ${formatDate(m.sharedAt, { month: "short" }) ?? ""}`.replace(/, $/, "") : "nee",
      };
    });
    out.push({ key: spec.kind, title: spec.title, unit: spec.unit, bloodPressure: spec.kind === "bloeddruk", points });
  }
  return out;
}
