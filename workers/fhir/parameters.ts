/**
 * The FHIR STU3 SearchParameter definitions (search-parameters.gen.ts, from HL7's search-parameters.json): what
 * a parameter of a resource type means. Parameters of Resource (`_id`, `_lastUpdated`, ...) apply to every type.
 */
import { SEARCH_PARAMETERS, type SearchParamDefinition } from "./definitions/search-parameters.gen.ts";

export type { SearchParamDefinition, SearchParamType } from "./definitions/search-parameters.gen.ts";

export function searchParameter(type: string, code: string): SearchParamDefinition | undefined {
  for (const owner of [type, "DomainResource", "Resource"]) {
    const params = Object.hasOwn(SEARCH_PARAMETERS, owner) ? SEARCH_PARAMETERS[owner]! : undefined;
    if (params && Object.hasOwn(params, code)) return params[code];
  }
  return undefined;
}
