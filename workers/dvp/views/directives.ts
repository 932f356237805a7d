/** zib TreatmentDirective and zib AdvanceDirective, both a Consent: what may or may not be done, and who said so. */
import { type Html, h } from "../../shared/html/page.ts";
import { type R, conceptText, extensionValue, extensions, formatDate, formatPeriod, hasCode, instant, obj, objs, str, valueOf } from "./fhir-read.ts";
import type { Item } from "./items.ts";
import { refName, refNames } from "./refs.ts";
import { type ViewOptions, dataTable, newestFirst, section, withSource } from "./table.ts";
import { statusWord } from "./words.ts";

const ZIB = "http://nictiz.nl/fhir/StructureDefinition/";
const SNOMED = "http://snomed.info/sct";

function verification(r: R): string | undefined {
  const v = extensions(r, `${ZIB}zib-TreatmentDirective-Verification`)[0];
  if (!v) return undefined;
  const part = (url: string) => valueOf(objs(v.extension).find((e) => e.url === url));
  const verified = part("Verified");
  const withWhom = conceptText(part("VerifiedWith"));
  const date = formatDate(part("VerificationDate"), { month: "short" });
  if (verified === false) return "nee";
  return ["ja", withWhom ? `met ${withWhom}` : undefined, date ? `op ${date}` : undefined].filter(Boolean).join(", ");
}

function restrictions(r: R): string | undefined {
  const list = objs(r.except)
    .map((e) => str(extensionValue(e, `${ZIB}zib-TreatmentDirective-Restrictions`)))
    .filter(Boolean);
  return list.length ? list.join("; ") : undefined;
}

const status = (r: R): string | undefined => (r.status === undefined ? undefined : statusWord(r.status));

export function treatmentDirectivesSection(items: readonly Item[], o: ViewOptions): Html {
  if (items.length === 0) return h``;
  const rows = newestFirst(items, (i) => instant(obj(i.r.period)?.start) ?? instant(i.r.dateTime));
  const table = dataTable(
    "Behandelaanwijzingen",
    withSource(
      [
        { head: "Behandeling", cell: (i: Item) => conceptText(extensionValue(i.r, `${ZIB}zib-TreatmentDirective-Treatment`)) ?? "behandeling" },
        { head: "Toegestaan", cell: (i) => conceptText(extensionValue(i.r, `${ZIB}zib-TreatmentDirective-TreatmentPermitted`)) },
        { head: "Beperkingen", cell: (i) => restrictions(i.r) },
        { head: "Periode", cell: (i) => formatPeriod(i.r.period) ?? formatDate(i.r.dateTime, { month: "short" }) },
        { head: "Besproken", cell: (i) => verification(i.r) },
        { head: "Wilsverklaring", cell: (i) => refName(i.bag, extensionValue(i.r, `${ZIB}zib-TreatmentDirective-AdvanceDirective`), i.r) },
        { head: "Status", cell: (i) => status(i.r) },
      ],
      o,
    ),
    rows,
  );
  return section("behandelaanwijzingen", table, items, o);
}

/** The kind of advance directive: its categories other than the generic "advance directive in record". */
function directiveKind(r: R): string {
  const specific = objs(r.category).filter((c) => !hasCode(c, SNOMED, "11341000146107"));
  return specific.map(conceptText).filter(Boolean).join(", ") || conceptText(objs(r.category)[0]) || "wilsverklaring";
}

export function advanceDirectivesSection(items: readonly Item[], o: ViewOptions): Html {
  if (items.length === 0) return h``;
  const rows = newestFirst(items, (i) => instant(i.r.dateTime));
  const table = dataTable(
    "Wilsverklaringen",
    withSource(
      [
        { head: "Wilsverklaring", cell: (i: Item) => directiveKind(i.r) },
        { head: "Datum", cell: (i) => formatDate(i.r.dateTime, { month: "short" }) ?? formatPeriod(i.r.period) },
        { head: "Bij aandoening", cell: (i) => refName(i.bag, extensionValue(i.r, `${ZIB}zib-AdvanceDirective-Disorder`), i.r) },
        { head: "Vertegenwoordiger", cell: (i) => refNames(i.bag, i.r.consentingParty, i.r) },
        { head: "Toelichting", cell: (i) => str(extensionValue(i.r, `${ZIB}Comment`)) },
        { head: "Status", cell: (i) => status(i.r) },
      ],
      o,
    ),
    rows,
  );
  return section("wilsverklaringen", table, items, o);
}
