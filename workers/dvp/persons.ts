/**
 * Who is logged in at the PGO (SPEC X-9). The Person's login is the PGO's own, outside MedMij: an account
 * (a passkey or the PGO's OpenID Connect provider, workers/dvp/accounts.ts) named by an opaque id, or, in
 * development and the local network only, one of a fixed set of test Persons.
 */
export interface PgoPerson {
  /** The Person's identifier at this DVP: names their PersonStore and AuditLog, `Deelnemer` in the report. */
  readonly id: string;
  readonly naam: string;
  readonly kind: "test-person" | "account";
}

export const TEST_PERSONS: readonly PgoPerson[] = [
  { id: "jansen", naam: "Johan Jansen", kind: "test-person" },
  { id: "devries", naam: "Petra de Vries", kind: "test-person" },
  { id: "bakker", naam: "Anouk Bakker", kind: "test-person" },
];

export function personById(id: string): PgoPerson | undefined {
  return TEST_PERSONS.find((p) => p.id === id);
}
