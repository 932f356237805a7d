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

/** The BSN 11-proef: 9 digits, sum of digit × weight (9..2, -1) divisible by 11. */
export function elfproef(bsn: string): boolean {
  if (!/^\d{9}$/.test(bsn)) return false;
  const weights = [9, 8, 7, 6, 5, 4, 3, 2, -1];
  return [...bsn].reduce((sum, d, i) => sum + Number(d) * weights[i]!, 0) % 11 === 0;
}
