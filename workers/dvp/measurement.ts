/**
 * A measurement the Person enters (the form of /metingen, or the JSON API): read strictly into an OwnMeasurement
 * (own-data.ts). Out-of-range values are refused (a typing error is likelier than the measurement); a time
 * without a zone is the Person's local time in the Netherlands.
 */
import type { GlucoseMoment, MeasurementKind, OwnMeasurement } from "./own-data.ts";
import { MEASUREMENT_RANGES } from "./share/measurements.ts";

export type MeasurementInput = Omit<OwnMeasurement, "id" | "enteredAt" | "sharedAt">;

const KINDS: readonly MeasurementKind[] = ["bloeddruk", "gewicht", "lengte", "hartslag", "glucose"];
const MOMENTS: readonly GlucoseMoment[] = ["willekeurig", "nuchter", "na-maaltijd"];

/** Which form fields carry the values of each kind. */
const FIELDS: Readonly<Record<MeasurementKind, readonly string[]>> = {
  bloeddruk: ["systolic", "diastolic"],
  gewicht: ["value"],
  lengte: ["value"],
  hartslag: ["value"],
  glucose: ["value"],
};

function number(raw: string | null | undefined): number | undefined {
  const t = (raw ?? "").trim().replace(",", ".");
  if (!/^\d{1,4}(\.\d{1,3})?$/.test(t)) return undefined;
  return Number(t);
}

/** `now` is when the form was sent: the default time, and a time in the future is refused. */
export function parseMeasurement(get: (name: string) => string | null | undefined, now: Date): MeasurementInput | undefined {
  const kind = get("kind") as MeasurementKind;
  if (!KINDS.includes(kind)) return undefined;
  const values: number[] = [];
  for (const [i, field] of FIELDS[kind].entries()) {
    // The older form named the value `kg`.
    const v = number(get(field) ?? (kind === "gewicht" ? get("kg") : undefined));
    const [min, max] = MEASUREMENT_RANGES[kind][i]!;
    if (v === undefined || v < min || v > max) return undefined;
    values.push(v);
  }
  if (kind === "bloeddruk" && values[1]! >= values[0]!) return undefined;
  const at = measuredAt(get("at"), now);
  if (!at) return undefined;
  const moment = get("moment") as GlucoseMoment;
  return { kind, at, values, ...(kind === "glucose" ? { moment: MOMENTS.includes(moment) ? moment : "willekeurig" } : {}) };
}

/** ISO 8601 with offset; from `YYYY-MM-DDTHH:MM` (datetime-local) in Europe/Amsterdam, or an ISO instant. */
function measuredAt(raw: string | null | undefined, now: Date): string | undefined {
  const t = (raw ?? "").trim();
  let date: Date;
  if (t === "") date = now;
  else if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$/.test(t)) date = amsterdam(t);
  else if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})$/.test(t)) date = new Date(t);
  else return undefined;
  if (Number.isNaN(date.getTime()) || date.getTime() > now.getTime() + 5 * 60_000 || date.getFullYear() < 1900) return undefined;
  return withOffset(date);
}

/** The offset of Europe/Amsterdam at an instant, in minutes (60 or 120). */
function offsetAt(date: Date): number {
  const parts = new Intl.DateTimeFormat("en-US", { timeZone: "Europe/Amsterdam", hourCycle: "h23", year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit" }).formatToParts(date);
  const p = (type: string) => Number(parts.find((x) => x.type === type)!.value);
  const asUtc = Date.UTC(p("year"), p("month") - 1, p("day"), p("hour"), p("minute"));
  return Math.round((asUtc - Math.floor(date.getTime() / 60_000) * 60_000) / 60_000);
}

/** A wall-clock time in the Netherlands as an instant. */
function amsterdam(local: string): Date {
  const guess = new Date(`${local}:00Z`);
  const first = new Date(guess.getTime() - offsetAt(guess) * 60_000);
  return new Date(guess.getTime() - offsetAt(first) * 60_000);
}

/** The instant written in Dutch local time with its offset, as FHIR dateTime (seconds precision). */
export function withOffset(date: Date): string {
  const offset = offsetAt(date);
  const local = new Date(date.getTime() + offset * 60_000).toISOString().slice(0, 19);
  const sign = offset >= 0 ? "+" : "-";
  const abs = Math.abs(offset);
  return `${local}${sign}${String(Math.floor(abs / 60)).padStart(2, "0")}:${String(abs % 60).padStart(2, "0")}`;
}
