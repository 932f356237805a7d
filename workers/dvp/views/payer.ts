/** zib Payer (Coverage): the health insurer, the policy's kind and number, or paying oneself. */
import { type Html, h } from "../../shared/html/page.ts";
import { type R, conceptText, extensions, formatPeriod, instant, obj, objs, str, valueOf } from "./fhir-read.ts";
import type { Item } from "./items.ts";
import { refName } from "./refs.ts";
import { type ViewOptions, dataTable, newestFirst, section, withSource } from "./table.ts";

const BANK = "http://nictiz.nl/fhir/StructureDefinition/zib-Payer-BankInformation";

function payer(i: Item): string {
  const names = objs(i.r.payor).map((p) => {
    const name = refName(i.bag, p, i.r);
    return /^(Patient|RelatedPerson)\//.test(str(p.reference) ?? "") ? `zelfbetaler${name ? ` (${name})` : ""}` : name;
  });
  return names.filter(Boolean).join(", ") || "onbekend";
}

function bank(r: R): string | undefined {
  const parts = objs(r.payor).flatMap((p) =>
    extensions(p, BANK).map((b) =>
      objs(b.extension)
        .filter((e) => e.url === "BankName" || e.url === "AccountNumber")
        .map((e) => str(valueOf(e)))
        .filter(Boolean)
        .join(", "),
    ),
  );
  return parts.filter((s) => s !== "").join("; ") || undefined;
}

export function payerSection(items: readonly Item[], o: ViewOptions): Html {
  if (items.length === 0) return h``;
  const rows = newestFirst(items, (i) => instant(obj(i.r.period)?.start));
  const table = dataTable(
    "Betaler",
    withSource(
      [
        { head: "Betaler", cell: (i: Item) => payer(i) },
        { head: "Soort verzekering", cell: (i) => conceptText(i.r.type) },
        { head: "Verzekerdennummer", cell: (i) => str(i.r.subscriberId) },
        { head: "Periode", cell: (i) => formatPeriod(i.r.period) },
        { head: "Bankgegevens", cell: (i) => bank(i.r) },
      ],
      o,
    ),
    rows,
  );
  return section("betaler", table, items, o);
}
