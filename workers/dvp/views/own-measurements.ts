/**
 * "Mijn metingen": the Person's own measurements (own-data.ts) as charts with tables, the forms to enter one
 * (POST /metingen, one form per kind so each has exactly its fields, no script needed), and per provider that
 * receives measurements (Delen, SelfMeasurements 2.0) a form to share chosen ones or a period (POST /delen).
 */
import { type Html, h } from "../../shared/html/page.ts";
import type { MeasurementKind, OwnMeasurement } from "../own-data.ts";
import type { OfferingView } from "../pages.ts";
import { formatDate } from "./fhir-read.ts";
import { measureBlock, ownGroups } from "./vital-signs.ts";

const NUMBER = "[0-9]+([,.][0-9]+)?";

interface Field {
  readonly name: "systolic" | "diastolic" | "value";
  readonly label: string;
  readonly decimal: boolean;
}

const FORMS: readonly { readonly kind: MeasurementKind; readonly legend: string; readonly fields: readonly Field[] }[] = [
  {
    kind: "bloeddruk",
    legend: "Bloeddruk invoeren",
    fields: [
      { name: "systolic", label: "Bovendruk (systolisch, mmHg)", decimal: false },
      { name: "diastolic", label: "Onderdruk (diastolisch, mmHg)", decimal: false },
    ],
  },
  { kind: "gewicht", legend: "Gewicht invoeren", fields: [{ name: "value", label: "Gewicht (kg)", decimal: true }] },
  { kind: "lengte", legend: "Lengte invoeren", fields: [{ name: "value", label: "Lengte (cm)", decimal: true }] },
  { kind: "hartslag", legend: "Hartslag invoeren", fields: [{ name: "value", label: "Hartslag (slagen per minuut)", decimal: false }] },
  { kind: "glucose", legend: "Glucose invoeren", fields: [{ name: "value", label: "Glucose (mmol/l)", decimal: true }] },
];

const csrfField = (csrf: string) => h`<input type="hidden" name="csrf" value="${csrf}">`;

function entryForm(f: (typeof FORMS)[number], csrf: string): Html {
  const id = (n: string) => `invoer-${f.kind}-${n}`;
  return h`<form method="post" action="/metingen" class="invoer">${csrfField(csrf)}<input type="hidden" name="kind" value="${f.kind}">
<fieldset><legend>${f.legend}</legend>
${f.fields.map((x) => h`<label for="${id(x.name)}">${x.label}</label><input id="${id(x.name)}" name="${x.name}" inputmode="${x.decimal ? "decimal" : "numeric"}" pattern="${NUMBER}" autocomplete="off" required>`)}
${f.kind === "glucose" ? h`<label for="${id("moment")}">Moment</label><select id="${id("moment")}" name="moment"><option value="willekeurig">Willekeurig moment</option><option value="nuchter">Nuchter</option><option value="na-maaltijd">2 uur na de maaltijd</option></select>` : h``}
<label for="${id("at")}">Gemeten op (leeg laten: nu)</label><input id="${id("at")}" name="at" type="datetime-local">
<div class="actions"><button class="primary" type="submit">Opslaan</button></div></fieldset></form>`;
}

/** "Bloeddruk 120/80 mmHg, 3 mei 2026, 08:00" for a checkbox. */
export function measurementLabel(m: OwnMeasurement): string {
  const g = ownGroups([m])[0];
  const p = g?.points[0];
  return `${g?.title ?? m.kind} ${p?.text ?? ""}, ${formatDate(m.at, { month: "long" }) ?? m.at}`;
}

function shareForm(t: OfferingView, n: number, csrf: string, ms: readonly OwnMeasurement[]): Html {
  const newest = [...ms].sort((a, b) => (a.at < b.at ? 1 : a.at > b.at ? -1 : 0));
  const id = (x: string) => `delen-${n}-${x}`;
  return h`<section aria-labelledby="${id("kop")}"><h3 id="${id("kop")}">${t.zorgaanbieder}: ${t.naam}</h3>
<form method="post" action="/delen">${csrfField(csrf)}<input type="hidden" name="zorgaanbieder" value="${t.zorgaanbieder}"><input type="hidden" name="gegevensdienst" value="${t.gegevensdienstId}">
${
  newest.length
    ? h`<fieldset><legend>Kies de metingen die u wilt delen</legend>
${newest.map((m, i) => h`<div class="keuze"><input type="checkbox" id="${id(`m${i}`)}" name="m" value="${m.id}"><label for="${id(`m${i}`)}">${measurementLabel(m)}</label></div>`)}
</fieldset>`
    : h``
}
<fieldset><legend>Of deel alle metingen in een periode</legend>
<label for="${id("van")}">Van</label><input id="${id("van")}" name="van" type="date">
<label for="${id("tot")}">Tot en met</label><input id="${id("tot")}" name="tot" type="date">
</fieldset>
<div class="actions"><button class="primary" type="submit">Delen met ${t.zorgaanbieder}</button></div></form></section>`;
}

export function measurementsBody(csrf: string, ms: readonly OwnMeasurement[], targets: readonly OfferingView[]): Html {
  const groups = ownGroups(ms);
  return h`${groups.length ? h`${groups.map((g) => measureBlock(g, { level: 2, perItemSource: false, shared: true, idPrefix: "mijn" }))}` : h`<p>U hebt nog geen metingen ingevoerd.</p>`}
<h2>Meting invoeren</h2>
<div class="invoer-lijst">${FORMS.map((f) => entryForm(f, csrf))}</div>
<h2>Metingen delen met een zorgaanbieder</h2>
${targets.length ? h`${targets.map((t, n) => shareForm(t, n, csrf, ms))}` : h`<p>Er is (nog) geen zorgaanbieder die metingen van u kan ontvangen. <a href="/">Zoek een zorgaanbieder</a>.</p>`}`;
}
