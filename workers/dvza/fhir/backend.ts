/**
 * Where a Resource Server request is answered from, after every check of the RS passed (gate, token,
 * client, scope, system role, MedMij-Request-ID): the embedded FhirStore (store-backend.ts) or the
 * provider's own FHIR server (upstream/index.ts). SPEC G-5, X-4.
 */
import type { TokenGrant } from "../../../durable-objects/grant-store.ts";
import type { Json } from "./validate.ts";

export interface FhirCall {
  /** The token's grant: the Person (subject), Zorgaanbieder and Gegevensdienst come from here only. */
  readonly grant: TokenGrant;
  /** This resource endpoint's base, e.g. `https://host/48/fhir`. */
  readonly base: string;
  readonly url: URL;
  readonly requestId: string | undefined;
  /** Adds fields to the request's LOG-4 line. */
  readonly note: (fields: Record<string, unknown>) => void;
}

export interface FhirBackend {
  search(call: FhirCall, type: string): Promise<Response>;
  read(call: FhirCall, type: string, id: string): Promise<Response>;
  /** Delen: resources that passed validate.ts; `type` is undefined for a transaction at the base. */
  create(call: FhirCall, type: string | undefined, resources: readonly Json[], transaction: boolean): Promise<Response>;
}
