/** Test Persons of the local network. BSNs from the 999xxxxxx test range; each passes the 11-proef. */
export interface TestPerson {
  readonly bsn: string;
  readonly naam: string;
}

export const TEST_PERSONS: readonly TestPerson[] = [
  { bsn: "999990019", naam: "J. Jansen" },
  { bsn: "999990020", naam: "P. de Vries" },
  { bsn: "999990032", naam: "A. Bakker" },
  // The patients of Nictiz's MedMij qualification (test/fixtures/nictiz/QualificationTokens.json), SPEC G-6.
  { bsn: "999911120", naam: "J. XXX_Helleman (BgZ)" },
  { bsn: "999911284", naam: "XXX_Mesker (BgZ)" },
  { bsn: "999910450", naam: "XXX_Aantrekker (Labresultaten)" },
  { bsn: "999910796", naam: "XXX_Baltus (PDF/A)" },
  { bsn: "999910784", naam: "XXX_Schulte (PDF/A)" },
  { bsn: "999910863", naam: "XXX_Ellens (PDF/A)" },
  { bsn: "999911302", naam: "XXX_Bourgonjee (Zelfmetingen)" },
  { bsn: "999911259", naam: "XXX_Bergzoon (Zelfmetingen)" },
];


