export interface SeedPerson {
  readonly key: string;
  readonly bsn: string;
  readonly family: string;
  readonly given: string;
  readonly gender: string;
  readonly birthDate: string;
}
export interface SeedResource {
  readonly resourceType: string;
  readonly id: string;
  readonly [k: string]: unknown;
}
export declare const PERSONS: readonly SeedPerson[];
export declare const SEEDED_PROVIDERS: readonly string[];
export declare function fhirResources(zorgaanbieder: string): SeedResource[];
/** The resources as JSON texts, for FhirStore.seed. */
export declare function fhirSeed(zorgaanbieder: string): string[];
