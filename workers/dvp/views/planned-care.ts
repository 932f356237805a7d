/**
 * Planned care (BgZ "Geplande zorg"): zib PlannedCareActivity as ProcedureRequest, ImmunizationRecommendation,
 * Appointment, DeviceRequest, and a medication agreement (MedicationRequest) whose period of use has not begun.
 */
import { type Html, h } from "../../shared/html/page.ts";
import { type R, conceptText, conceptsText, extensionValue, formatDate, formatPeriod, formatWhen, instant, obj, objs, str, whenInstant } from "./fhir-read.ts";
import type { Item } from "./items.ts";
import { medicationName } from "./medication.ts";
import { refName, refNames } from "./refs.ts";
import { type ViewOptions, dataTable, newestFirst, section, withSource } from "./table.ts";
import { PERIOD_OF_USE, isFutureMedicationRequest } from "./zibs.ts";
import { statusWord } from "./words.ts";

const ORDER_STATUS = "http://nictiz.nl/fhir/StructureDefinition/zib-VaccinationRecommendation-OrderStatus";
const FORECAST: Readonly<Record<string, string>> = { due: "te geven", overdue: "te laat" };

interface Planned {
  readonly item: Item;
  readonly what: string;
  readonly kind: string;
  readonly when?: string;
  readonly t?: number;
  readonly status?: string;
  readonly who?: string;
}

/** "12 jul 2022, 11:30–11:40" for an appointment on one day, else the period. */
function appointmentWhen(r: R): string | undefined {
  const start = formatDate(r.start, { month: "short" });
  const end = formatDate(r.end, { month: "short" });
  if (start && end) {
    const [sd, st] = start.split(", ");
    const [ed, et] = end.split(", ");
    if (sd === ed && st && et) return `${sd}, ${st}–${et}`;
  }
  return formatPeriod({ start: r.start, end: r.end });
}

const status = (r: R): string | undefined => (r.status === undefined ? undefined : statusWord(r.status));

function plannedOf(item: Item, o: ViewOptions): Planned[] {
  const r = item.r;
  switch (r.resourceType) {
    case "ProcedureRequest":
      return [
        {
          item,
          what: conceptText(r.code) ?? "verrichting",
          kind: "verrichting",
          when: formatWhen(r, "occurrence"),
          t: whenInstant(r, "occurrence"),
          status: status(r),
          who: refNames(item.bag, r.performer, r) ?? refName(item.bag, obj(r.requester)?.agent, r),
        },
      ];
    case "ImmunizationRecommendation":
      return objs(r.recommendation).map((rec) => {
        const date = objs(rec.dateCriterion).map((d) => d.value)[0] ?? rec.date;
        const forecast = objs(obj(rec.forecastStatus)?.coding).map((c) => c.code).find((c): c is string => typeof c === "string" && Object.hasOwn(FORECAST, c));
        return {
          item,
          what: conceptText(rec.vaccineCode) ?? conceptText(rec.targetDisease) ?? "vaccinatie",
          kind: "vaccinatie",
          when: formatDate(date, { month: "short" }),
          t: instant(date),
          status: conceptText(extensionValue(r, ORDER_STATUS)) ?? (forecast ? FORECAST[forecast] : undefined),
        };
      });
    case "Appointment": {
      const others = objs(r.participant)
        .map((p) => p.actor)
        .filter((a) => !/^Patient\//.test(str(obj(a)?.reference) ?? ""));
      return [
        {
          item,
          what: str(r.description) ?? conceptsText(r.serviceType) ?? conceptsText(r.specialty) ?? conceptText(r.appointmentType) ?? "afspraak",
          kind: "afspraak",
          when: appointmentWhen(r),
          t: instant(r.start),
          status: status(r),
          who: refNames(item.bag, others, r),
        },
      ];
    }
    case "DeviceRequest":
      return [
        {
          item,
          what: refName(item.bag, r.codeReference, r) ?? conceptText(r.codeCodeableConcept) ?? "hulpmiddel",
          kind: "hulpmiddel",
          when: formatWhen(r, "occurrence"),
          t: whenInstant(r, "occurrence"),
          status: status(r),
          who: refName(item.bag, r.performer, r) ?? refName(item.bag, obj(r.requester)?.agent, r),
        },
      ];
    case "MedicationRequest":
      if (!isFutureMedicationRequest(r, o.now)) return [];
      return [
        {
          item,
          what: medicationName(item),
          kind: "medicatie",
          when: formatPeriod(extensionValue(r, PERIOD_OF_USE)) ?? formatPeriod(obj(r.dispenseRequest)?.validityPeriod),
          t: instant(obj(extensionValue(r, PERIOD_OF_USE))?.start),
          status: status(r),
          who: refName(item.bag, obj(r.requester)?.agent, r),
        },
      ];
    default:
      return [];
  }
}

/** `items`: the planned-care resources and every MedicationRequest (only those yet to start are shown here). */
export function plannedCareSection(items: readonly Item[], o: ViewOptions): Html {
  const rows = newestFirst(
    items.flatMap((i) => plannedOf(i, o)),
    (p) => p.t,
  );
  if (rows.length === 0) return h``;
  const shown = [...new Set(rows.map((p) => p.item))];
  const table = dataTable(
    "Geplande zorg",
    withSource(
      [
        { head: "Wat", cell: (p: Planned & { src: Item["src"] }) => p.what },
        { head: "Soort", cell: (p) => p.kind },
        { head: "Wanneer", cell: (p) => p.when },
        { head: "Status", cell: (p) => p.status },
        { head: "Door of waar", cell: (p) => p.who },
      ],
      o,
    ),
    rows.map((p) => ({ ...p, src: p.item.src })),
  );
  return section("geplande-zorg", table, shown, o);
}
