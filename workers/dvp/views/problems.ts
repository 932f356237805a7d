/** zib Problem (Condition): what the problem is, its status, since when, where, and the provider's note. */
import { type Html, h } from "../../shared/html/page.ts";
import { type R, conceptText, extensionValue, formatWhen, notesText, objs, whenInstant } from "./fhir-read.ts";
import type { Item } from "./items.ts";
import { type ViewOptions, dataTable, newestFirst, section, withSource } from "./table.ts";
import { clinicalStatusWord, verificationStatusWord } from "./words.ts";

const BODY_SITE_QUALIFIER = "http://nictiz.nl/fhir/StructureDefinition/BodySite-Qualifier";

/** A body site with its laterality (Nictiz's BodySite-Qualifier): "Gehele polsregio (lichaamsstructuur), Rechts". */
export function bodySiteText(cc: unknown): string | undefined {
  const sites = objs(cc).map((site) => [conceptText(site), conceptText(extensionValue(site, BODY_SITE_QUALIFIER))].filter(Boolean).join(", "));
  const list = sites.filter((s) => s !== "");
  return list.length ? list.join("; ") : undefined;
}

function status(r: R): string | undefined {
  const clinical = r.clinicalStatus === undefined ? undefined : clinicalStatusWord(r.clinicalStatus);
  // Only a verification that changes what the Person reads (not "confirmed", not "unknown").
  const verification = r.verificationStatus === undefined || r.verificationStatus === "confirmed" || r.verificationStatus === "unknown" ? undefined : verificationStatusWord(r.verificationStatus);
  return [clinical, verification].filter(Boolean).join(", ") || undefined;
}

export function problemsSection(items: readonly Item[], o: ViewOptions): Html {
  if (items.length === 0) return h``;
  const rows = newestFirst(items, (i) => whenInstant(i.r, "onset"));
  const table = dataTable(
    "Problemen",
    withSource(
      [
        { head: "Probleem", cell: (i: Item) => conceptText(i.r.code) ?? "onbekend probleem" },
        { head: "Status", cell: (i) => status(i.r) },
        { head: "Begin", cell: (i) => formatWhen(i.r, "onset") },
        { head: "Einde", cell: (i) => formatWhen(i.r, "abatement") },
        { head: "Plaats", cell: (i) => bodySiteText(i.r.bodySite) },
        { head: "Toelichting", cell: (i) => notesText(i.r.note) },
      ],
      o,
    ),
    rows,
  );
  return section("problemen", table, items, o);
}
