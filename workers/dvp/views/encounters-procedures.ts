/** zib Encounter (contacts: admissions, visits) and zib Procedure (what was done). */
import { type Html, h } from "../../shared/html/page.ts";
import { conceptText, conceptsText, formatPeriod, formatWhen, instant, notesText, obj, objs, whenInstant } from "./fhir-read.ts";
import type { Item } from "./items.ts";
import { bodySiteText } from "./problems.ts";
import { refName, refNames } from "./refs.ts";
import { type ViewOptions, dataTable, newestFirst, section, withSource } from "./table.ts";
import { ENCOUNTER_CLASS, statusWord } from "./words.ts";

const V3_ACT_CODE = "http://hl7.org/fhir/v3/ActCode";

/** The kind of contact: Encounter.class (a Coding) in Dutch, else the type. */
function encounterKind(i: Item): string | undefined {
  const cls = obj(i.r.class);
  const code = typeof cls?.code === "string" ? cls.code : undefined;
  if (code && (cls?.system === V3_ACT_CODE || cls?.system === undefined) && Object.hasOwn(ENCOUNTER_CLASS, code)) return ENCOUNTER_CLASS[code];
  return conceptsText(i.r.type) ?? (cls ? (typeof cls.display === "string" ? cls.display : code) : undefined);
}

function encounterReason(i: Item): string | undefined {
  const diagnoses = refNames(
    i.bag,
    objs(i.r.diagnosis).map((d) => d.condition),
    i.r,
  );
  return [conceptsText(i.r.reason), diagnoses].filter(Boolean).join("; ") || undefined;
}

export function encountersSection(items: readonly Item[], o: ViewOptions): Html {
  if (items.length === 0) return h``;
  const rows = newestFirst(items, (i) => instant(obj(i.r.period)?.start));
  const table = dataTable(
    "Contacten",
    withSource(
      [
        { head: "Soort contact", cell: (i: Item) => encounterKind(i) ?? "contact" },
        { head: "Periode", cell: (i) => formatPeriod(i.r.period) },
        { head: "Zorgverlener", cell: (i) => refNames(i.bag, objs(i.r.participant).map((p) => p.individual), i.r) },
        { head: "Zorgaanbieder", cell: (i) => refName(i.bag, i.r.serviceProvider, i.r) },
        { head: "Reden of diagnose", cell: encounterReason },
        { head: "Status", cell: (i) => (i.r.status === undefined ? undefined : statusWord(i.r.status)) },
      ],
      o,
    ),
    rows,
  );
  return section("contacten", table, items, o);
}

export function proceduresSection(items: readonly Item[], o: ViewOptions): Html {
  if (items.length === 0) return h``;
  const rows = newestFirst(items, (i) => whenInstant(i.r, "performed"));
  const table = dataTable(
    "Verrichtingen",
    withSource(
      [
        { head: "Verrichting", cell: (i: Item) => conceptText(i.r.code) ?? "onbekende verrichting" },
        { head: "Datum", cell: (i) => formatWhen(i.r, "performed") },
        { head: "Plaats", cell: (i) => bodySiteText(i.r.bodySite) },
        { head: "Uitgevoerd door", cell: (i) => refNames(i.bag, objs(i.r.performer).map((p) => p.actor), i.r) },
        { head: "Reden", cell: (i) => conceptsText(i.r.reasonCode) ?? refNames(i.bag, i.r.reasonReference, i.r) },
        { head: "Hulpmiddel", cell: (i) => refNames(i.bag, objs(i.r.focalDevice).map((d) => d.manipulated), i.r) },
        { head: "Status", cell: (i) => (i.r.status === undefined ? undefined : statusWord(i.r.status)) },
        { head: "Toelichting", cell: (i) => notesText(i.r.note) },
      ],
      o,
    ),
    rows,
  );
  return section("verrichtingen", table, items, o);
}

