/** Test Persons of the local network. BSNs from the 999xxxxxx test range; each passes the 11-proef. */
export interface TestPerson {
  readonly bsn: string;
  readonly naam: string;
}

export const TEST_PERSONS: readonly TestPerson[] = [
  { bsn: "999990019", naam: "J. Jansen" },
  { bsn: "999990020", naam: "P. de Vries" },
  { bsn: "999990032", naam: "A. Bakker" },
];


