/**
 * The BgZ's findings that are one Observation each: zib FunctionalOrMentalStatus, LivingSituation, DrugUse,
 * AlcoholUse and TobaccoUse: the finding, its details (components), when, and the provider's comment.
 */
import { type Html, h } from "../../shared/html/page.ts";
import { conceptText, formatValue, formatWhen, objs, str, whenInstant } from "./fhir-read.ts";
import type { Item } from "./items.ts";
import { type ViewOptions, dataTable, newestFirst, section, withSource } from "./table.ts";
import type { SectionKey } from "./zibs.ts";

const CAPTIONS: Partial<Record<SectionKey, string>> = {
  functioneren: "Functionele of mentale status",
  woonsituatie: "Woonsituatie",
  drugsgebruik: "Drugsgebruik",
  alcoholgebruik: "Alcoholgebruik",
  tabaksgebruik: "Tabaksgebruik",
};

/** The components as "label: value; …" (their labels are the provider's code displays). */
function details(i: Item): string | undefined {
  const list = objs(i.r.component)
    .map((c) => {
      const v = formatValue(c);
      const label = conceptText(c.code);
      return v ? (label ? `${label}: ${v}` : v) : undefined;
    })
    .filter(Boolean);
  return list.length ? list.join("; ") : undefined;
}

export function findingSection(key: "functioneren" | "woonsituatie" | "drugsgebruik" | "alcoholgebruik" | "tabaksgebruik", items: readonly Item[], o: ViewOptions): Html {
  if (items.length === 0) return h``;
  const rows = newestFirst(items, (i) => whenInstant(i.r, "effective"));
  const cols =
    key === "functioneren"
      ? [
          { head: "Onderwerp", cell: (i: Item) => conceptText(i.r.code) ?? "onderwerp" },
          { head: "Bevinding", cell: (i: Item) => formatValue(i.r) },
        ]
      : [{ head: "Bevinding", cell: (i: Item) => formatValue(i.r) ?? conceptText(i.r.code) ?? "bevinding" }];
  const table = dataTable(
    CAPTIONS[key] ?? "Bevindingen",
    withSource(
      [
        ...cols,
        { head: "Details", cell: details },
        { head: "Periode of datum", cell: (i) => formatWhen(i.r, "effective") },
        { head: "Toelichting", cell: (i) => str(i.r.comment) },
      ],
      o,
    ),
    rows,
  );
  return section(key, table, items, o);
}
