/** zib AllergyIntolerance: the substance, how critical, the reaction, the status. */
import { type Html, h } from "../../shared/html/page.ts";
import { type R, conceptText, conceptsText, formatDate, formatWhen, notesText, objs, str, strs, whenInstant } from "./fhir-read.ts";
import type { Item } from "./items.ts";
import { type ViewOptions, dataTable, newestFirst, section, withSource } from "./table.ts";
import { ALLERGY_CATEGORY, ALLERGY_TYPE, CRITICALITY, SEVERITY, clinicalStatusWord } from "./words.ts";

const pick = (table: Readonly<Record<string, string>>, code: unknown): string | undefined => (typeof code === "string" && Object.hasOwn(table, code) ? table[code] : undefined);

function reactions(r: R): string | undefined {
  const list = objs(r.reaction)
    .map((x) => {
      const what = conceptsText(x.manifestation) ?? str(x.description);
      const severity = pick(SEVERITY, x.severity);
      return [what, severity ? `(${severity})` : undefined].filter(Boolean).join(" ");
    })
    .filter((s) => s !== "");
  return list.length ? list.join("; ") : undefined;
}

export function allergiesSection(items: readonly Item[], o: ViewOptions): Html {
  if (items.length === 0) return h``;
  const rows = newestFirst(items, (i) => whenInstant(i.r, "onset"));
  const table = dataTable(
    "Allergieën en intoleranties",
    withSource(
      [
        { head: "Stof", cell: (i: Item) => conceptText(i.r.code) ?? "onbekende stof" },
        { head: "Soort", cell: (i) => [pick(ALLERGY_TYPE, i.r.type), ...strs(i.r.category).map((c) => pick(ALLERGY_CATEGORY, c))].filter(Boolean).join(", ") || undefined },
        { head: "Kritiek", cell: (i) => pick(CRITICALITY, i.r.criticality) },
        { head: "Reactie", cell: (i) => reactions(i.r) },
        { head: "Status", cell: (i) => (i.r.clinicalStatus === undefined ? undefined : clinicalStatusWord(i.r.clinicalStatus)) },
        { head: "Begin", cell: (i) => formatWhen(i.r, "onset") },
        { head: "Laatst opgetreden", cell: (i) => formatDate(i.r.lastOccurrence, { month: "short" }) },
        { head: "Toelichting", cell: (i) => notesText(i.r.note) },
      ],
      o,
    ),
    rows,
  );
  return section("allergieen", table, items, o);
}
