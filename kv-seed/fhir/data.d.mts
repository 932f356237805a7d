export interface SeedPerson {
  readonly key: string;
  readonly bsn: string;
  readonly family: string;
  readonly given: string;
  readonly gender: string;
  readonly birthDate: string;
}
export interface SeedRow {
  readonly gegevensdienstId: string;
  readonly subject: string;
  readonly resource: { resourceType: string; id: string; [k: string]: unknown };
}
export declare const PERSONS: readonly SeedPerson[];
export declare const SEEDED_PROVIDERS: readonly string[];
export declare function fhirSeed(zorgaanbieder: string): SeedRow[];
