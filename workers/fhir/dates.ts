/**
 * FHIR STU3 dates as ranges (http://hl7.org/fhir/STU3/search.html#date): every date, dateTime and instant stands
 * for the interval its precision covers (`2024` is the whole year, `2024-03-01T10:15` that minute), in UTC
 * milliseconds, [lo, hi). A dateTime without a zone is read as UTC (STU3 leaves it to the server). Used when a
 * resource is indexed and when a search value is read, so both sides mean the same interval.
 */

export interface DateRange {
  readonly lo: number;
  /** Exclusive. */
  readonly hi: number;
}

/** Open ends of a Period. */
export const MIN_TIME = -8.64e15;
export const MAX_TIME = 8.64e15;

const DATE_TIME = /^(\d{4})(?:-(\d{2})(?:-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:\d{2})?)?)?)?$/;

function zoneOffsetMs(zone: string | undefined): number {
  if (!zone || zone === "Z") return 0;
  const sign = zone.startsWith("-") ? -1 : 1;
  const [h, m] = zone.slice(1).split(":").map(Number);
  return sign * ((h ?? 0) * 60 + (m ?? 0)) * 60_000;
}

/** The interval a FHIR date/dateTime/instant value covers; undefined when it is not one. */
export function dateRange(value: string): DateRange | undefined {
  const m = DATE_TIME.exec(value);
  if (!m) return undefined;
  const [, y, mo, d, hh, mi, ss, frac, zone] = m;
  const year = Number(y);
  const month = mo === undefined ? undefined : Number(mo);
  const day = d === undefined ? undefined : Number(d);
  if (month !== undefined && (month < 1 || month > 12)) return undefined;
  if (month === undefined) return { lo: Date.UTC(year, 0, 1), hi: Date.UTC(year + 1, 0, 1) };
  if (day === undefined) return { lo: Date.UTC(year, month - 1, 1), hi: Date.UTC(year, month, 1) };
  const lastDay = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (day < 1 || day > lastDay) return undefined;
  if (hh === undefined) return { lo: Date.UTC(year, month - 1, day), hi: Date.UTC(year, month - 1, day + 1) };
  const [h, min, s] = [Number(hh), Number(mi), ss === undefined ? 0 : Number(ss)];
  if (h > 23 || min > 59 || s > 60) return undefined;
  const ms = frac === undefined ? 0 : Math.floor(Number(`0.${frac}`) * 1000);
  const lo = Date.UTC(year, month - 1, day, h, min, s, ms) - zoneOffsetMs(zone);
  const width = frac !== undefined ? 1 : ss !== undefined ? 1000 : 60_000;
  return { lo, hi: lo + width };
}

/** A Period's interval: from its start's beginning to its end's end, open where either is missing. */
export function periodRange(start: string | undefined, end: string | undefined): DateRange | undefined {
  const s = start === undefined ? undefined : dateRange(start);
  const e = end === undefined ? undefined : dateRange(end);
  if ((start !== undefined && !s) || (end !== undefined && !e)) return undefined;
  if (!s && !e) return undefined;
  return { lo: s?.lo ?? MIN_TIME, hi: e?.hi ?? MAX_TIME };
}

export type DatePrefix = "eq" | "ne" | "gt" | "lt" | "ge" | "le" | "sa" | "eb" | "ap";
const PREFIXES: ReadonlySet<string> = new Set(["eq", "ne", "gt", "lt", "ge", "le", "sa", "eb", "ap"]);

export interface DateCondition {
  readonly prefix: DatePrefix;
  readonly range: DateRange;
}

/** A date search value (`ge2024-01-01`, `2024`, `lt2024-03-01T10:00:00+01:00`); undefined when malformed. */
export function dateCondition(text: string): DateCondition | undefined {
  const p = text.slice(0, 2);
  const prefix = (PREFIXES.has(p) ? p : "eq") as DatePrefix;
  const range = dateRange(PREFIXES.has(p) ? text.slice(2) : text);
  return range ? { prefix, range } : undefined;
}

/** One comparison of a target bound with a number: `lo >= 1704067200000`. */
export interface BoundTest {
  readonly bound: "lo" | "hi";
  readonly op: ">" | ">=" | "<" | "<=";
  readonly value: number;
}

/**
 * STU3 search §2.1.1.4, a target interval [lo, hi) against a search interval [S, E), as a disjunction of
 * conjunctions of bound tests, so that SQL (search) and memory (`dateMatches`) evaluate one rule:
 * eq: contained; ne: not contained; gt/lt: the part above E / below S overlaps; ge/le: that, or contained;
 * sa/eb: starts at or after E / ends at or before S; ap: overlaps the search interval widened by 10 % of its
 * distance from now.
 */
export function dateRule(c: DateCondition, now = Date.now()): readonly (readonly BoundTest[])[] {
  const { lo: S, hi: E } = c.range;
  const t = (bound: "lo" | "hi", op: BoundTest["op"], value: number): BoundTest => ({ bound, op, value });
  const contained = [t("lo", ">=", S), t("hi", "<=", E)];
  switch (c.prefix) {
    case "eq":
      return [contained];
    case "ne":
      return [[t("lo", "<", S)], [t("hi", ">", E)]];
    case "gt":
      return [[t("hi", ">", E)]];
    case "lt":
      return [[t("lo", "<", S)]];
    case "ge":
      return [[t("hi", ">", E)], contained];
    case "le":
      return [[t("lo", "<", S)], contained];
    case "sa":
      return [[t("lo", ">=", E)]];
    case "eb":
      return [[t("hi", "<=", S)]];
    case "ap": {
      const slack = Math.abs(now - (S + E) / 2) * 0.1;
      return [[t("lo", "<", E + slack), t("hi", ">", S - slack)]];
    }
  }
}

export function dateMatches(target: DateRange, c: DateCondition, now = Date.now()): boolean {
  const test = ({ bound, op, value }: BoundTest): boolean => {
    const v = target[bound];
    return op === ">" ? v > value : op === ">=" ? v >= value : op === "<" ? v < value : v <= value;
  };
  return dateRule(c, now).some((all) => all.every(test));
}
