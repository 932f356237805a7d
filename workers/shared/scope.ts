/**
 * MedMij scope syntax (FACTS.md, AS-6): exactly one `<zorgaanbiedernaam without @medmij>~<GegevensdienstId>`,
 * e.g. `umcharderwijk~48`.
 */
export interface MedMijScope {
  /** Full provider name, `umcharderwijk@medmij`. */
  readonly zorgaanbiedernaam: string;
  readonly gegevensdienstId: string;
}

// Name part: the Zorgaanbiedernaam pattern `([a-z])+` (before @medmij); id: GegevensdienstId is 1-30 chars,
// in practice digits; allow [A-Za-z0-9.-] so a future id is not refused here but by the list lookup.
const SCOPE = /^([a-z]{1,50})~([A-Za-z0-9.-]{1,30})$/;

/** Returns undefined for anything but exactly one well-formed scope token (no spaces: one scope at a time). */
export function parseScope(raw: string): MedMijScope | undefined {
  const m = SCOPE.exec(raw);
  if (!m) return undefined;
  return { zorgaanbiedernaam: `${m[1]}@medmij`, gegevensdienstId: m[2]! };
}

export function formatScope(zorgaanbiedernaam: string, gegevensdienstId: string): string {
  return `${zorgaanbiedernaam.replace(/@medmij$/, "")}~${gegevensdienstId}`;
}
