/**
 * AS-6 at a FHIR server that holds several Gegevensdiensten (issue 15 #2): a token stays within its own. The
 * restriction of a type (`restrict` in FHIR_UPSTREAMS, token parameters such as `category=laboratory`) is never
 * left to the upstream alone:
 *   - a client's own value for a restricted parameter must lie within the restriction, or the search is refused
 *     before any upstream call (the RS would otherwise send both, and an upstream honouring the first one wins);
 *   - every resource of every answer is checked against the restriction here, and dropped when outside it.
 */
import { evaluate } from "../../../fhir/fhirpath.ts";
import { searchParameter } from "../../../fhir/parameters.ts";
import { parseToken, splitValues, tokenMatches, tokenValues } from "../../../fhir/tokens.ts";
import type { Checked } from "./compartment.ts";

export type Restriction = readonly (readonly [string, string])[];

/**
 * The parameters the upstream gets for the restricted names: the client's values where they lie within the
 * restriction (then they alone narrow it), the restriction's where the client sent none.
 */
export function restrictedSearch(params: readonly [string, string][], restriction: Restriction): Checked<[string, string][]> {
  const out = params.filter(([k]) => !restriction.some(([r]) => r === k));
  for (const name of new Set(restriction.map(([r]) => r))) {
    const alloweds = restriction.filter(([r]) => r === name).map(([, v]) => new Set(splitValues(v)));
    const asked = params.filter(([k]) => k === name);
    if (asked.length === 0) {
      // The upstream gets one value per name (several restrictions of one name: the last, the deployment's own);
      // every one of them is checked on what comes back (withinRestriction).
      out.push([name, restriction.filter(([r]) => r === name).at(-1)![1]]);
      continue;
    }
    for (const [, value] of asked) {
      if (!splitValues(value).every((v) => alloweds.every((allowed) => allowed.has(v)))) {
        return { ok: false, status: 403, code: "forbidden", diagnostics: `${name}=${value.slice(0, 80)} lies outside this Gegevensdienst` };
      }
      out.push([name, value]);
    }
  }
  return { ok: true, value: out };
}

/** Does this resource lie within the restriction of its type? (Every restricted parameter matches one of its values.) */
export function withinRestriction(resource: Record<string, unknown>, restriction: Restriction): boolean {
  const type = String(resource.resourceType);
  return restriction.every(([name, allowed]) => {
    const def = searchParameter(type, name);
    if (def?.type !== "token") return false;
    const values = evaluate(resource, def.expression).flatMap(tokenValues);
    return splitValues(allowed).some((v) => {
      const q = parseToken(v);
      return q !== undefined && tokenMatches(values, q);
    });
  });
}
