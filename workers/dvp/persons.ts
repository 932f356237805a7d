/**
 * The PGO's own Person login is outside MedMij: a PGO plugs in its account system here. For the
 * local network this is a fixed set of test Persons (development only).
 */
export interface PgoPerson {
  readonly id: string;
  readonly naam: string;
}

export const TEST_PERSONS: readonly PgoPerson[] = [
  { id: "jansen", naam: "Johan Jansen" },
  { id: "devries", naam: "Petra de Vries" },
  { id: "bakker", naam: "Anouk Bakker" },
];

export function personById(id: string): PgoPerson | undefined {
  return TEST_PERSONS.find((p) => p.id === id);
}
