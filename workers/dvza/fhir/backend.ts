/**
 * Where a Resource Server request is answered from, after every check of the RS passed (gate, token,
 * client, scope, system role, MedMij-Request-ID): the embedded FhirStore (store-backend.ts) or the
 * provider's own FHIR server (upstream/index.ts). SPEC G-5, G-6, X-4. Backends answer in FHIR JSON; the RS
 * puts the answer in the format the client asked for (resource.ts).
 */
import type { TokenGrant } from "../../../durable-objects/grant-store.ts";
import type { FhirObject } from "../../fhir/formats/json.ts";
import type { SubmittedEntry } from "./submission.ts";

/** What the Gegevensdienst's system role offers here (shared/catalogue.ts). */
export interface GegevensdienstView {
  readonly types: readonly string[];
  /** Per type, token parameters every resource of the type meets (AS-6). */
  readonly restrict: Readonly<Record<string, string>>;
}

/** RFC 7240 Prefer, as FHIR uses it (http.html#2.21.0.5.2): return=minimal|representation|OperationOutcome, handling=strict|lenient. */
export interface Prefer {
  readonly return: "minimal" | "representation" | "OperationOutcome" | undefined;
  readonly strict: boolean;
}

export interface FhirCall {
  /** The token's grant: the Person (subject), Zorgaanbieder and Gegevensdienst come from here only. */
  readonly grant: TokenGrant;
  /** This resource endpoint's base, e.g. `https://host/48/fhir`. */
  readonly base: string;
  readonly url: URL;
  readonly requestId: string | undefined;
  readonly view: GegevensdienstView;
  readonly prefer: Prefer;
  /** Adds fields to the request's LOG-4 line. */
  readonly note: (fields: Record<string, unknown>) => void;
}

/** Delen: what a PGO sends, already read (JSON or XML) and checked (submission.ts). */
export type Submission =
  | { readonly kind: "create"; readonly type: string; readonly resource: FhirObject }
  | { readonly kind: "transaction" | "batch"; readonly entries: readonly SubmittedEntry[] };

export interface FhirBackend {
  /** `operation` is `$lastn` for Observation/$lastn. */
  search(call: FhirCall, type: string, operation?: "$lastn"): Promise<Response>;
  read(call: FhirCall, type: string, id: string): Promise<Response>;
  submit(call: FhirCall, submission: Submission): Promise<Response>;
}
