/**
 * The medication zibs of the BgZ: MedicationUse (MedicationStatement), MedicationAgreement (MedicationRequest) and
 * AdministrationAgreement (MedicationDispense), each with its product (the included Medication), its dose and its
 * period of use.
 */
import { type Html, h } from "../../shared/html/page.ts";
import { type R, conceptText, conceptsText, extensionValue, formatDate, formatPeriod, formatQuantity, formatRange, formatWhen, num, obj, objs, str, strs, whenInstant, instant } from "./fhir-read.ts";
import type { Item } from "./items.ts";
import { refName, refNames } from "./refs.ts";
import { type ViewOptions, dataTable, newestFirst, section, withSource } from "./table.ts";
import { PERIOD_OF_USE } from "./zibs.ts";
import { perPeriod, statusWord } from "./words.ts";

const ZIB = "http://nictiz.nl/fhir/StructureDefinition/";
const DURATION = `${ZIB}zib-MedicationUse-Duration`;
const PRESCRIBER = `${ZIB}zib-MedicationUse-Prescriber`;
const AUTHORED_ON = `${ZIB}zib-AdministrationAgreement-AuthoredOn`;

/** The product: the included Medication's name, the reference's display, or the coded concept. */
export function medicationName(item: Item): string {
  const r = item.r;
  if (r.medicationReference) return refName(item.bag, r.medicationReference, r) ?? "onbekend geneesmiddel";
  return conceptText(r.medicationCodeableConcept) ?? "onbekend geneesmiddel";
}

/** "1 maal per dag", "2 à 3 maal per dag", "1 maal per 8 uur, om 08:00". */
function timingText(timing: unknown): string | undefined {
  const rep = obj(obj(timing)?.repeat);
  if (!rep) return conceptText(obj(timing)?.code);
  const parts: string[] = [];
  const duration = formatQuantity(rep.boundsDuration);
  if (duration) parts.push(`gedurende ${duration}`);
  const f = num(rep.frequency);
  const fMax = num(rep.frequencyMax);
  const period = num(rep.period);
  const per = period !== undefined ? perPeriod(period, rep.periodUnit) : undefined;
  // FHIR's frequency defaults to 1: "1 maal per 8 uur".
  if (per) parts.push(`${fMax !== undefined ? `${f ?? 1} à ${fMax}` : (f ?? 1)} maal ${per}`);
  const times = strs(rep.timeOfDay).map((t) => t.slice(0, 5));
  if (times.length) parts.push(`om ${times.join(", ")}`);
  return parts.length ? parts.join(", ") : undefined;
}

/** One Dosage: its text when the provider wrote one, else composed from timing, dose, route and "zo nodig". */
export function dosageText(d: unknown): string | undefined {
  const o = obj(d);
  if (!o) return undefined;
  const text = str(o.text);
  if (text) return text;
  const asNeeded = o.asNeededBoolean === true ? "zo nodig" : conceptText(o.asNeededCodeableConcept);
  const dose = formatQuantity(o.doseQuantity) ?? formatRange(o.doseRange);
  const parts = [timingText(o.timing), asNeeded, dose, conceptText(o.route)?.toLowerCase()].filter(Boolean);
  return parts.length ? parts.join(", ") : undefined;
}

export function dosagesText(ds: unknown): string | undefined {
  const list = objs(ds)
    .sort((a, b) => (num(a.sequence) ?? 0) - (num(b.sequence) ?? 0))
    .map(dosageText)
    .filter((s): s is string => s !== undefined);
  return list.length ? [...new Set(list)].join("; ") : undefined;
}

/** The period of use (zib-Medication-PeriodOfUse, or effective[x]) with its duration. */
function periodOfUse(r: R): string | undefined {
  const period = formatPeriod(extensionValue(r, PERIOD_OF_USE)) ?? formatWhen(r, "effective");
  const duration = formatQuantity(extensionValue(r, DURATION) ?? extensionValue(r.effectivePeriod, DURATION));
  return [period, duration ? `${duration}` : undefined].filter(Boolean).join(", ") || undefined;
}

const periodStart = (r: R): number | undefined => instant(obj(extensionValue(r, PERIOD_OF_USE))?.start) ?? whenInstant(r, "effective");

const TAKEN: Readonly<Record<string, string>> = { y: "ja", n: "nee", unk: "onbekend", na: "niet van toepassing" };

export function medicationUseSection(items: readonly Item[], o: ViewOptions): Html {
  if (items.length === 0) return h``;
  const rows = newestFirst(items, (i) => periodStart(i.r) ?? instant(i.r.dateAsserted));
  const table = dataTable(
    "Medicatiegebruik",
    withSource(
      [
        { head: "Geneesmiddel", cell: (i: Item) => medicationName(i) },
        { head: "Dosering", cell: (i) => dosagesText(i.r.dosage) },
        { head: "Periode", cell: (i) => periodOfUse(i.r) },
        { head: "Status", cell: (i) => (i.r.status === undefined ? undefined : statusWord(i.r.status)) },
        { head: "Gebruikt", cell: (i) => (typeof i.r.taken === "string" && Object.hasOwn(TAKEN, i.r.taken) ? TAKEN[i.r.taken] : undefined) },
        { head: "Voorschrijver", cell: (i) => refName(i.bag, extensionValue(i.r, PRESCRIBER), i.r) },
        { head: "Vastgelegd op", cell: (i) => formatDate(i.r.dateAsserted, { month: "short" }) },
        { head: "Reden", cell: (i) => conceptsText(i.r.reasonCode) ?? refNames(i.bag, i.r.reasonReference, i.r) },
      ],
      o,
    ),
    rows,
  );
  return section("medicatiegebruik", table, items, o);
}

export function medicationAgreementsSection(items: readonly Item[], o: ViewOptions): Html {
  if (items.length === 0) return h``;
  const rows = newestFirst(items, (i) => instant(i.r.authoredOn) ?? periodStart(i.r));
  const table = dataTable(
    "Medicatieafspraken",
    withSource(
      [
        { head: "Geneesmiddel", cell: (i: Item) => medicationName(i) },
        { head: "Dosering", cell: (i) => dosagesText(i.r.dosageInstruction) },
        { head: "Periode", cell: (i) => periodOfUse(i.r) ?? formatPeriod(obj(i.r.dispenseRequest)?.validityPeriod) },
        { head: "Afgesproken op", cell: (i) => formatDate(i.r.authoredOn, { month: "short" }) },
        { head: "Voorschrijver", cell: (i) => refName(i.bag, obj(i.r.requester)?.agent, i.r) },
        { head: "Reden", cell: (i) => conceptsText(i.r.reasonCode) ?? refNames(i.bag, i.r.reasonReference, i.r) },
        { head: "Status", cell: (i) => (i.r.status === undefined ? undefined : statusWord(i.r.status)) },
      ],
      o,
    ),
    rows,
  );
  return section("medicatieafspraken", table, items, o);
}

export function administrationAgreementsSection(items: readonly Item[], o: ViewOptions): Html {
  if (items.length === 0) return h``;
  const authored = (r: R) => extensionValue(r, AUTHORED_ON) ?? r.whenPrepared ?? r.whenHandedOver;
  const rows = newestFirst(items, (i) => instant(authored(i.r)) ?? periodStart(i.r));
  const table = dataTable(
    "Toedieningsafspraken",
    withSource(
      [
        { head: "Geneesmiddel", cell: (i: Item) => medicationName(i) },
        { head: "Dosering", cell: (i) => dosagesText(i.r.dosageInstruction) },
        { head: "Periode", cell: (i) => periodOfUse(i.r) },
        { head: "Afgesproken op", cell: (i) => formatDate(authored(i.r), { month: "short" }) },
        { head: "Apotheek", cell: (i) => refNames(i.bag, objs(i.r.performer).map((p) => p.actor), i.r) },
        { head: "Status", cell: (i) => (i.r.status === undefined ? undefined : statusWord(i.r.status)) },
      ],
      o,
    ),
    rows,
  );
  return section("toedieningsafspraken", table, items, o);
}
