/** zib Vaccination (Immunization): which vaccine, when, by whom. */
import { type Html, h } from "../../shared/html/page.ts";
import { conceptText, conceptsText, formatDate, formatQuantity, instant, notesText, obj, objs } from "./fhir-read.ts";
import type { Item } from "./items.ts";
import { refNames } from "./refs.ts";
import { type ViewOptions, dataTable, newestFirst, section, withSource } from "./table.ts";
import { statusWord } from "./words.ts";

function status(i: Item): string | undefined {
  if (i.r.notGiven === true) return "niet gegeven";
  return i.r.status === undefined ? undefined : statusWord(i.r.status);
}

export function vaccinationsSection(items: readonly Item[], o: ViewOptions): Html {
  if (items.length === 0) return h``;
  const rows = newestFirst(items, (i) => instant(i.r.date));
  const table = dataTable(
    "Vaccinaties",
    withSource(
      [
        { head: "Vaccin", cell: (i: Item) => conceptText(i.r.vaccineCode) ?? "onbekend vaccin" },
        { head: "Datum", cell: (i) => formatDate(i.r.date, { month: "short" }) },
        { head: "Status", cell: status },
        { head: "Dosis", cell: (i) => formatQuantity(i.r.doseQuantity) },
        { head: "Gegeven door", cell: (i) => refNames(i.bag, objs(i.r.practitioner).map((p) => p.actor), i.r) },
        { head: "Reden", cell: (i) => conceptsText(obj(i.r.explanation)?.reason) ?? conceptsText(obj(i.r.explanation)?.reasonNotGiven) },
        { head: "Toelichting", cell: (i) => notesText(i.r.note) },
      ],
      o,
    ),
    rows,
  );
  return section("vaccinaties", table, items, o);
}
