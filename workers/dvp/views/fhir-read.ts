/**
 * Safe reading of FHIR STU3 JSON for the Person's pages: whatever a provider sent, these accessors never throw and
 * never return anything but the type they say. Numbers keep their exact decimal text (a lab value `1.50` is shown
 * as "1,50", fhir/formats/json.ts keeps it), dates are shown in Dutch (`nl-NL`) in the Person's time zone
 * (Europe/Amsterdam), and a date without a time is never shifted by a time zone.
 */
import { decimalText, isDecimal } from "../../fhir/formats/json.ts";
import { GENDER, timeUnit } from "./words.ts";

export type R = Readonly<Record<string, unknown>>;

export const TIME_ZONE = "Europe/Amsterdam";

/** An object (not an array, not a kept decimal), or undefined. */
export function obj(x: unknown): R | undefined {
  return x !== null && typeof x === "object" && !Array.isArray(x) && !isDecimal(x) ? (x as R) : undefined;
}

/** A FHIR array as an array (a lone value counts as one, absence as none). */
export function arr(x: unknown): readonly unknown[] {
  if (Array.isArray(x)) return x;
  return x === undefined || x === null ? [] : [x];
}

export function objs(x: unknown): R[] {
  return arr(x)
    .map(obj)
    .filter((o): o is R => o !== undefined);
}

/** A non-empty string, or undefined. */
export function str(x: unknown): string | undefined {
  return typeof x === "string" && x.trim() !== "" ? x : undefined;
}

export function strs(x: unknown): string[] {
  return arr(x)
    .map(str)
    .filter((s): s is string => s !== undefined);
}

/** The exact text of a FHIR decimal or integer. */
export function decimal(x: unknown): string | undefined {
  if (typeof x === "number") return Number.isFinite(x) ? String(x) : undefined;
  if (isDecimal(x)) return decimalText(x);
  return undefined;
}

export function num(x: unknown): number | undefined {
  const t = decimal(x);
  if (t === undefined) return undefined;
  const n = Number(t);
  return Number.isFinite(n) ? n : undefined;
}

/** A number as a Dutch reader writes it: decimal comma, the source's precision kept, no grouping. */
export function formatNumber(x: unknown): string | undefined {
  const t = typeof x === "string" ? x : decimal(x);
  if (t === undefined || !/^-?\d+(\.\d+)?([eE][+-]?\d+)?$/.test(t)) return undefined;
  if (/[eE]/.test(t)) return new Intl.NumberFormat("nl-NL", { maximumFractionDigits: 10, useGrouping: false }).format(Number(t));
  return t.replace(".", ",");
}

// --- codes --------------------------------------------------------------------------------------------------------

export interface Coding {
  readonly system?: string;
  readonly code?: string;
  readonly display?: string;
}

export function codings(cc: unknown): Coding[] {
  return objs(obj(cc)?.coding).map((c) => ({ system: str(c.system), code: str(c.code), display: str(c.display) }));
}

/** Whether a CodeableConcept (or an array of them) carries one of `codes` in `system`. */
export function hasCode(cc: unknown, system: string, ...codes: string[]): boolean {
  return arr(cc).some((one) => codings(one).some((c) => c.system === system && c.code !== undefined && codes.includes(c.code)));
}

/** The first code of `system` in a CodeableConcept (or array). */
export function codeIn(cc: unknown, system: string): string | undefined {
  for (const one of arr(cc)) for (const c of codings(one)) if (c.system === system && c.code) return c.code;
  return undefined;
}

/** What a CodeableConcept says to a reader: its text, else the first display, else the first code. */
export function conceptText(cc: unknown): string | undefined {
  const o = obj(cc);
  if (!o) return undefined;
  const cs = codings(o);
  return str(o.text) ?? cs.find((c) => c.display)?.display ?? cs.find((c) => c.code)?.code;
}

/** Several CodeableConcepts as one text ("a, b"). */
export function conceptsText(ccs: unknown): string | undefined {
  const parts = arr(ccs)
    .map(conceptText)
    .filter((s): s is string => s !== undefined);
  return parts.length ? [...new Set(parts)].join(", ") : undefined;
}

/** A Coding's display, else its code. */
export function codingText(c: unknown): string | undefined {
  const o = obj(c);
  return o ? (str(o.display) ?? str(o.code)) : undefined;
}

// --- extensions and choice elements ------------------------------------------------------------------------------

export function extensions(r: unknown, url: string): R[] {
  const o = obj(r);
  return o ? [...objs(o.extension), ...objs(o.modifierExtension)].filter((e) => e.url === url) : [];
}

/** The value[x] of an extension (or of any element with a choice `value[x]`). */
export function valueOf(e: unknown): unknown {
  const o = obj(e);
  if (!o) return undefined;
  for (const k of Object.keys(o)) if (k.startsWith("value") && k.length > 5) return o[k];
  return undefined;
}

export function extensionValue(r: unknown, url: string): unknown {
  return valueOf(extensions(r, url)[0]);
}

/** A choice element `name[x]`: which type it has (`DateTime`, `Period`, …) and its value. */
export function choice(r: unknown, name: string): { readonly type: string; readonly value: unknown } | undefined {
  const o = obj(r);
  if (!o) return undefined;
  for (const k of Object.keys(o)) {
    if (k.startsWith(name) && k.length > name.length && /^[A-Z]/.test(k.slice(name.length))) return { type: k.slice(name.length), value: o[k] };
  }
  return undefined;
}

// --- dates --------------------------------------------------------------------------------------------------------

const FHIR_DATE = /^(\d{4})(?:-(\d{2})(?:-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?(Z|[+-]\d{2}:\d{2})?)?)?)?$/;

const fmt = (o: Intl.DateTimeFormatOptions) => new Intl.DateTimeFormat("nl-NL", o);
const MONTH_YEAR = fmt({ month: "long", year: "numeric", timeZone: "UTC" });
const DAY_LONG_UTC = fmt({ day: "numeric", month: "long", year: "numeric", timeZone: "UTC" });
const DAY_SHORT_UTC = fmt({ day: "numeric", month: "short", year: "numeric", timeZone: "UTC" });
const DAY_LONG = fmt({ day: "numeric", month: "long", year: "numeric", timeZone: TIME_ZONE });
const DAY_SHORT = fmt({ day: "numeric", month: "short", year: "numeric", timeZone: TIME_ZONE });
const TIME = fmt({ hour: "2-digit", minute: "2-digit", timeZone: TIME_ZONE });
const TIME_S = fmt({ hour: "2-digit", minute: "2-digit", second: "2-digit", timeZone: TIME_ZONE });

export interface DateStyle {
  /** "7 februari 2013" (default) or "7 feb 2013". */
  readonly month?: "long" | "short";
  /** Show seconds (the requests table). */
  readonly seconds?: boolean;
}

/**
 * A FHIR date, dateTime or instant in Dutch: "2001", "juni 2012", "5 juni 2012", "7 feb 2013, 07:53" (the time in
 * Europe/Amsterdam; a time of exactly midnight as written is taken to mean that day, as providers write dates so).
 */
export function formatDate(x: unknown, style: DateStyle = {}): string | undefined {
  const s = str(x);
  if (!s) return undefined;
  const m = FHIR_DATE.exec(s.trim());
  if (!m) return undefined;
  const [, y, mo, d, hh, mi, ss, tz] = m;
  const long = style.month !== "short";
  if (mo === undefined) return y;
  if (d === undefined) return MONTH_YEAR.format(new Date(Date.UTC(Number(y), Number(mo) - 1, 1)));
  if (hh === undefined || tz === undefined) {
    const day = (long ? DAY_LONG_UTC : DAY_SHORT_UTC).format(new Date(Date.UTC(Number(y), Number(mo) - 1, Number(d))));
    // A time without a zone (not valid FHIR) is shown as written.
    return hh === undefined ? day : `${day}, ${hh}:${mi}`;
  }
  // Exactly midnight as written means the day (providers write a date so, in whatever offset): shown as written.
  if (!style.seconds && hh === "00" && mi === "00" && (ss === undefined || Number(ss) === 0)) {
    return (long ? DAY_LONG_UTC : DAY_SHORT_UTC).format(new Date(Date.UTC(Number(y), Number(mo) - 1, Number(d))));
  }
  const at = new Date(s);
  if (Number.isNaN(at.getTime())) return undefined;
  const day = (long ? DAY_LONG : DAY_SHORT).format(at);
  const time = (style.seconds ? TIME_S : TIME).format(at);
  return `${day}, ${time}`;
}

/** A moment as milliseconds, for sorting and charts (a partial date counts from its start, in Amsterdam). */
export function instant(x: unknown): number | undefined {
  const s = str(x);
  const m = s ? FHIR_DATE.exec(s.trim()) : null;
  if (!m) return undefined;
  const [, y, mo = "01", d = "01", hh, mi, ss = "00", tz] = m;
  const iso = hh === undefined ? `${y}-${mo}-${d}T00:00:00` : `${y}-${mo}-${d}T${hh}:${mi}:${ss}`;
  // No zone: midnight (or the time) in Amsterdam, which is UTC+1 or +2; +01:00 is close enough to order by.
  const t = new Date(`${iso}${tz ?? "+01:00"}`).getTime();
  return Number.isNaN(t) ? undefined : t;
}

/** A Period in Dutch: "5 jun 2012 – 19 aug 2012", "vanaf 2007", "tot 31 dec 2018", or the one day. */
export function formatPeriod(p: unknown, style: DateStyle = { month: "short" }): string | undefined {
  const o = obj(p);
  if (!o) return undefined;
  const start = formatDate(o.start, style);
  const end = formatDate(o.end, style);
  if (start && end) return start === end ? start : `${start} – ${end}`;
  if (start) return `vanaf ${start}`;
  if (end) return `tot ${end}`;
  return undefined;
}

/** A choice element that is a moment or a span (`effective[x]`, `onset[x]`, `performed[x]`, `occurrence[x]`). */
export function formatWhen(r: unknown, name: string, style: DateStyle = { month: "short" }): string | undefined {
  const c = choice(r, name);
  if (!c) return undefined;
  switch (c.type) {
    case "DateTime":
    case "Date":
    case "Instant":
      return formatDate(c.value, style);
    case "Period":
      return formatPeriod(c.value, style);
    case "String":
      return str(c.value);
    case "Age":
    case "Quantity":
      return formatQuantity(c.value);
    case "Timing":
      return formatPeriod(obj(obj(c.value)?.repeat)?.boundsPeriod, style) ?? (strs(obj(c.value)?.event).map((e) => formatDate(e, style)).filter(Boolean).join(", ") || undefined);
    case "Boolean":
      return c.value === true ? "ja" : c.value === false ? "nee" : undefined;
    default:
      return undefined;
  }
}

/** The moment of a choice element, for sorting (a Period by its start). */
export function whenInstant(r: unknown, name: string): number | undefined {
  const c = choice(r, name);
  if (!c) return undefined;
  if (c.type === "Period") return instant(obj(c.value)?.start) ?? instant(obj(c.value)?.end);
  return instant(c.value);
}

// --- quantities ---------------------------------------------------------------------------------------------------

/** The unit a reader sees: the Quantity's `unit`, else its code. */
export function unitOf(q: unknown): string | undefined {
  const o = obj(q);
  return o ? (str(o.unit) ?? str(o.code)) : undefined;
}

/** "109 mmol/l", "< 0,5 mg/l", "30 dagen" (a Duration in time units). */
export function formatQuantity(q: unknown): string | undefined {
  const o = obj(q);
  if (!o) return undefined;
  const v = formatNumber(o.value);
  if (v === undefined) return undefined;
  const comparator = str(o.comparator);
  const n = num(o.value) ?? 0;
  const isTime = o.system === "http://unitsofmeasure.org" || o.system === undefined;
  const unit = (isTime ? timeUnit(o.code, n) : undefined) ?? unitOf(o);
  return [comparator, v, unit].filter(Boolean).join(" ");
}

/** A Range: "1–2 stuk", "vanaf 1", "tot 2". */
export function formatRange(r: unknown): string | undefined {
  const o = obj(r);
  if (!o) return undefined;
  const low = formatQuantity(o.low);
  const high = formatQuantity(o.high);
  if (low && high) return unitOf(o.low) === unitOf(o.high) && unitOf(o.low) ? `${formatNumber(obj(o.low)?.value)}–${high}` : `${low} – ${high}`;
  if (low) return `vanaf ${low}`;
  if (high) return `tot ${high}`;
  return undefined;
}

/** A Ratio: "1 stuk per 2 dagen". */
export function formatRatio(r: unknown): string | undefined {
  const o = obj(r);
  const n = formatQuantity(o?.numerator);
  const d = formatQuantity(o?.denominator);
  return n && d ? `${n} per ${d}` : n;
}

/** The value[x] of an Observation or component, whatever its type, as text. */
export function formatValue(r: unknown): string | undefined {
  const c = choice(r, "value");
  if (!c) return undefined;
  switch (c.type) {
    case "Quantity":
      return formatQuantity(c.value);
    case "CodeableConcept":
      return conceptText(c.value);
    case "String":
      return str(c.value);
    case "Boolean":
      return c.value === true ? "ja" : c.value === false ? "nee" : undefined;
    case "Integer":
      return formatNumber(c.value);
    case "Range":
      return formatRange(c.value);
    case "Ratio":
      return formatRatio(c.value);
    case "DateTime":
    case "Time":
      return c.type === "Time" ? str(c.value) : formatDate(c.value, { month: "short" });
    case "Period":
      return formatPeriod(c.value);
    default:
      return undefined;
  }
}

// --- people, places, contact details -----------------------------------------------------------------------------

const QUALIFIER = "http://hl7.org/fhir/StructureDefinition/iso21090-EN-qualifier";

/**
 * A HumanName as Dutch names are written: its text when it has one; else the call name (or the first given name,
 * or the initials: Nictiz's names repeat one person's names with a qualifier each), the prefixes and the family name.
 */
export function humanName(n: unknown): string | undefined {
  const o = obj(n);
  if (!o) return undefined;
  const text = str(o.text);
  if (text) return text;
  const given = strs(o.given);
  const meta = arr(o._given).map((g) => str(valueOf(extensions(g, QUALIFIER)[0])));
  const pick = (q: string) => given.find((_, i) => meta[i] === q);
  const first = pick("CL") ?? pick("BR") ?? given.find((_, i) => meta[i] !== "IN") ?? pick("IN") ?? given[0];
  return [...strs(o.prefix), first, str(o.family), ...strs(o.suffix)].filter(Boolean).join(" ") || undefined;
}

/** The name to show of a list of HumanNames: the official or usual one first. */
export function nameOf(names: unknown): string | undefined {
  const all = objs(names);
  const best = all.find((n) => n.use === "official") ?? all.find((n) => n.use === "usual") ?? all[0];
  return humanName(best);
}

/** An Address on one line: "Knolweg 1000, 9999 XA Stitswerd" (the country when not the Netherlands). */
export function formatAddress(a: unknown): string | undefined {
  const o = obj(a);
  if (!o) return undefined;
  const text = str(o.text);
  if (text) return text;
  const country = str(o.country);
  const place = [str(o.postalCode), str(o.city)].filter(Boolean).join(" ");
  const parts = [...strs(o.line), place, country && !/^(NL|NLD|Nederland)$/i.test(country) ? country : undefined].filter(Boolean);
  return parts.length ? parts.join(", ") : undefined;
}

/** ContactPoints as "telefoon 06-12345678; e-mail a@b.nl". */
export function formatTelecom(t: unknown): string | undefined {
  const label: Readonly<Record<string, string>> = { phone: "telefoon", email: "e-mail", fax: "fax", pager: "pieper", url: "website", sms: "sms", other: "" };
  const parts = objs(t)
    .map((c) => {
      const v = str(c.value);
      if (!v) return undefined;
      const kind = typeof c.system === "string" && Object.hasOwn(label, c.system) ? label[c.system] : "";
      return kind ? `${kind} ${v}` : v;
    })
    .filter((s): s is string => s !== undefined);
  return parts.length ? [...new Set(parts)].join("; ") : undefined;
}

export function genderWord(g: unknown): string | undefined {
  return typeof g === "string" && Object.hasOwn(GENDER, g) ? GENDER[g] : undefined;
}

/** Annotations (note) as one text. */
export function notesText(notes: unknown): string | undefined {
  const t = objs(notes)
    .map((n) => str(n.text))
    .filter(Boolean);
  return t.length ? t.join(" ") : undefined;
}

/** The profiles a resource claims. */
export function profiles(r: unknown): string[] {
  return strs(obj(obj(r)?.meta)?.profile);
}

/** Whether a resource claims the Nictiz zib profile `name` (zib-BloodPressure, …). */
export function hasProfile(r: unknown, name: string): boolean {
  return profiles(r).some((p) => p === `http://nictiz.nl/fhir/StructureDefinition/${name}` || p.endsWith(`/${name}`));
}
