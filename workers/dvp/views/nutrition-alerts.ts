/** zib NutritionAdvice (NutritionOrder) and zib Alert (Flag). */
import { type Html, h } from "../../shared/html/page.ts";
import { conceptText, conceptsText, formatDate, formatPeriod, instant, obj, objs, str } from "./fhir-read.ts";
import type { Item } from "./items.ts";
import { type ViewOptions, dataTable, newestFirst, section, withSource } from "./table.ts";
import { statusWord } from "./words.ts";

export function nutritionSection(items: readonly Item[], o: ViewOptions): Html {
  if (items.length === 0) return h``;
  const rows = newestFirst(items, (i) => instant(i.r.dateTime));
  const diet = (i: Item) => obj(i.r.oralDiet);
  const table = dataTable(
    "Voedingsadviezen",
    withSource(
      [
        { head: "Dieet", cell: (i: Item) => conceptsText(diet(i)?.type) ?? conceptsText(objs(i.r.supplement).map((s) => s.type)) ?? "voedingsadvies" },
        {
          head: "Consistentie",
          cell: (i) => [conceptsText(diet(i)?.fluidConsistencyType), conceptsText(objs(diet(i)?.texture).map((t) => t.modifier))].filter(Boolean).join(", ") || undefined,
        },
        { head: "Toelichting", cell: (i) => str(diet(i)?.instruction) },
        { head: "Datum", cell: (i) => formatDate(i.r.dateTime, { month: "short" }) },
        { head: "Status", cell: (i) => (i.r.status === undefined ? undefined : statusWord(i.r.status)) },
      ],
      o,
    ),
    rows,
  );
  return section("voedingsadviezen", table, items, o);
}

export function alertsSection(items: readonly Item[], o: ViewOptions): Html {
  if (items.length === 0) return h``;
  const rows = newestFirst(items, (i) => instant(obj(i.r.period)?.start));
  const table = dataTable(
    "Waarschuwingen",
    withSource(
      [
        { head: "Waarschuwing", cell: (i: Item) => conceptText(i.r.code) ?? "waarschuwing" },
        { head: "Soort", cell: (i) => conceptText(i.r.category) },
        { head: "Periode", cell: (i) => formatPeriod(i.r.period) },
        { head: "Status", cell: (i) => (i.r.status === undefined ? undefined : statusWord(i.r.status)) },
      ],
      o,
    ),
    rows,
  );
  return section("waarschuwingen", table, items, o);
}
