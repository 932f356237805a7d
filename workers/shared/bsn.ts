/**
 * The Burgerservicenummer (BSN) as it identifies the Person at the Authorization Server (SPEC X-3):
 * nine digits passing the eleven-test ("11-proef": the digits weighted 9..2 and -1 sum to a multiple of 11).
 */
const WEIGHTS = [9, 8, 7, 6, 5, 4, 3, 2, -1] as const;

export function isValidBsn(bsn: string): boolean {
  if (!/^\d{9}$/.test(bsn)) return false;
  let sum = 0;
  for (let i = 0; i < 9; i++) sum += Number(bsn[i]) * WEIGHTS[i]!;
  return sum % 11 === 0 && bsn !== "000000000";
}

/** DigiD's sector identifier for a BSN (SAML NameID, and some OIDC brokers' claims): `s00000000:<BSN>`. */
const SECTOR_BSN = /^s00000000:(\d{9})$/;

/** The BSN from a DigiD sector NameID, or from a bare BSN when `allowBare`; undefined for anything else. */
export function bsnFrom(value: string, { allowBare = false } = {}): string | undefined {
  const m = SECTOR_BSN.exec(value);
  const candidate = m ? m[1]! : allowBare ? value : undefined;
  return candidate !== undefined && isValidBsn(candidate) ? candidate : undefined;
}
