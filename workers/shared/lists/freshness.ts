/**
 * L-9: a list that is older than the one in use is rejected. "Older" means a lower Volgnummer, or a
 * Tijdstempel before the current one. The same Volgnummer with other content is a conflicting
 * publication and is rejected too; the same Volgnummer with the same content is simply unchanged.
 */
import type { ListHeader } from "./model.ts";

export type Freshness = { verdict: "newer" } | { verdict: "unchanged" } | { verdict: "rejected"; reason: string };

export function judgeFreshness(
  current: (ListHeader & { sha256: string }) | undefined,
  candidate: ListHeader & { sha256: string },
): Freshness {
  if (!current) return { verdict: "newer" };
  const cur = BigInt(current.volgnummer);
  const next = BigInt(candidate.volgnummer);
  if (next < cur) return { verdict: "rejected", reason: `Volgnummer ${candidate.volgnummer} is lower than ${current.volgnummer} in use` };
  if (next === cur) {
    return candidate.sha256 === current.sha256
      ? { verdict: "unchanged" }
      : { verdict: "rejected", reason: `Volgnummer ${candidate.volgnummer} is already in use with other content` };
  }
  const tCur = instant(current.tijdstempel);
  const tNext = instant(candidate.tijdstempel);
  if (tNext === undefined) return { verdict: "rejected", reason: `Tijdstempel ${candidate.tijdstempel} cannot be compared` };
  if (tCur !== undefined && tNext < tCur) return { verdict: "rejected", reason: `Tijdstempel ${candidate.tijdstempel} is before ${current.tijdstempel} in use` };
  return { verdict: "newer" };
}

/**
 * Epoch milliseconds of an XSD-valid xs:dateTime. A value without a timezone is read as UTC: the
 * lists carry Z or an offset in practice, and a fixed reading keeps the comparison total.
 */
export function instant(dateTime: string): number | undefined {
  const hasZone = /(Z|[+-]\d\d:\d\d)$/.test(dateTime);
  const ms = Date.parse(hasZone ? dateTime : `${dateTime}Z`);
  return Number.isNaN(ms) ? undefined : ms;
}
