/**
 * All sections, in order, for a list of items (one collection, or everything collected merged): each item to the
 * section of its zib, each section rendered by its own module, empty sections left out.
 */
import { type Html, h } from "../../shared/html/page.ts";
import { allergiesSection } from "./allergies.ts";
import { advanceDirectivesSection, treatmentDirectivesSection } from "./directives.ts";
import { devicesSection } from "./devices.ts";
import { documentsSection } from "./documents.ts";
import { encountersSection, proceduresSection } from "./encounters-procedures.ts";
import { conceptText, formatDate, formatValue, str } from "./fhir-read.ts";
import type { Item } from "./items.ts";
import { labSection } from "./lab.ts";
import { findingSection } from "./lifestyle.ts";
import { administrationAgreementsSection, medicationAgreementsSection, medicationUseSection } from "./medication.ts";
import { alertsSection, nutritionSection } from "./nutrition-alerts.ts";
import { patientSection } from "./patient.ts";
import { payerSection } from "./payer.ts";
import { plannedCareSection } from "./planned-care.ts";
import { problemsSection } from "./problems.ts";
import { type ViewOptions, dataTable, section, withSource } from "./table.ts";
import { vaccinationsSection } from "./vaccinations.ts";
import { measurementsSection } from "./vital-signs.ts";
import { SECTIONS, type SectionKey, isFutureMedicationRequest, sectionOf } from "./zibs.ts";
import { resourceTypeWord, statusWord } from "./words.ts";

/** Items by section (a medication agreement yet to start is in planned care as well). */
export function bySection(items: readonly Item[], now: Date): Map<SectionKey, Item[]> {
  const groups = new Map<SectionKey, Item[]>();
  const add = (k: SectionKey, i: Item) => groups.set(k, [...(groups.get(k) ?? []), i]);
  for (const i of items) {
    const key = sectionOf(i.r);
    if (key) add(key, i);
    if (isFutureMedicationRequest(i.r, now)) add("geplande-zorg", i);
  }
  return groups;
}

/** Anything this PGO has no zib view for: its kind in Dutch, what it names, its date. */
function otherSection(items: readonly Item[], o: ViewOptions): Html {
  if (items.length === 0) return h``;
  const date = (i: Item) => {
    for (const k of ["effectiveDateTime", "date", "issued", "authoredOn", "recorded", "created", "dateTime", "occurrenceDateTime"]) {
      const d = formatDate(i.r[k], { month: "short" });
      if (d) return d;
    }
    return undefined;
  };
  const table = dataTable(
    "Overige gegevens",
    withSource(
      [
        { head: "Soort", cell: (i: Item) => resourceTypeWord(i.r.resourceType) },
        { head: "Omschrijving", cell: (i) => conceptText(i.r.code) ?? conceptText(i.r.type) ?? str(i.r.description) },
        { head: "Waarde", cell: (i) => formatValue(i.r) },
        { head: "Datum", cell: date },
        { head: "Status", cell: (i) => (typeof i.r.status === "string" ? statusWord(i.r.status) : undefined) },
      ],
      o,
    ),
    items,
  );
  return section("overig", table, items, o);
}

type Renderer = (items: readonly Item[], o: ViewOptions) => Html;

const RENDER: Readonly<Record<SectionKey, Renderer>> = {
  patient: patientSection,
  waarschuwingen: alertsSection,
  allergieen: allergiesSection,
  problemen: problemsSection,
  medicatiegebruik: medicationUseSection,
  medicatieafspraken: medicationAgreementsSection,
  toedieningsafspraken: administrationAgreementsSection,
  metingen: measurementsSection,
  laboratorium: labSection,
  vaccinaties: vaccinationsSection,
  contacten: encountersSection,
  verrichtingen: proceduresSection,
  "geplande-zorg": plannedCareSection,
  hulpmiddelen: devicesSection,
  documenten: documentsSection,
  behandelaanwijzingen: treatmentDirectivesSection,
  wilsverklaringen: advanceDirectivesSection,
  functioneren: (i, o) => findingSection("functioneren", i, o),
  woonsituatie: (i, o) => findingSection("woonsituatie", i, o),
  drugsgebruik: (i, o) => findingSection("drugsgebruik", i, o),
  alcoholgebruik: (i, o) => findingSection("alcoholgebruik", i, o),
  tabaksgebruik: (i, o) => findingSection("tabaksgebruik", i, o),
  voedingsadviezen: nutritionSection,
  betaler: payerSection,
  overig: otherSection,
};

export interface Rendered {
  readonly body: Html;
  /** The sections shown, in order, for a table of contents. */
  readonly shown: readonly { readonly key: SectionKey; readonly title: string }[];
}

/** Every non-empty section, in SECTIONS order. */
export function renderSections(items: readonly Item[], o: ViewOptions): Rendered {
  const groups = bySection(items, o.now);
  const shown: { key: SectionKey; title: string }[] = [];
  const parts: Html[] = [];
  for (const s of SECTIONS) {
    const html = RENDER[s.key](groups.get(s.key) ?? [], o);
    if (html.markup === "") continue;
    shown.push(s);
    parts.push(html);
  }
  return { body: h`${parts}`, shown };
}

/** Links to the sections shown. */
export function tableOfContents(shown: Rendered["shown"]): Html {
  if (shown.length < 2) return h``;
  return h`<nav aria-label="Inhoud" class="inhoud"><ul>${shown.map((s) => h`<li><a href="#zib-${s.key}">${s.title}</a></li>`)}</ul></nav>`;
}
