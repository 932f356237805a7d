/**
 * Levels of assurance of the Person's authentication (SPEC X-3). DigiD's four levels, lowest first, each
 * with the SAML AuthnContextClassRef DigiD uses for it; OIDC brokers may state the level as that class
 * reference or as an eIDAS level of assurance in `acr`. A deployment sets the minimum it accepts
 * (AUTHN_MIN_LEVEL, default substantieel); anything below it is refused.
 */
export const LEVELS = ["basis", "midden", "substantieel", "hoog"] as const;
export type Level = (typeof LEVELS)[number];

export const DEFAULT_MINIMUM: Level = "substantieel";

/** Koppelvlakspecificatie DigiD SAML: one AuthnContextClassRef per level. */
export const DIGID_CLASS_REF: Readonly<Record<Level, string>> = {
  basis: "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport",
  midden: "urn:oasis:names:tc:SAML:2.0:ac:classes:MobileTwoFactorContract",
  substantieel: "urn:oasis:names:tc:SAML:2.0:ac:classes:Smartcard",
  hoog: "urn:oasis:names:tc:SAML:2.0:ac:classes:SmartcardPKI",
};

/** eIDAS levels (Regulation 910/2014 art. 8) as OIDC `acr`; "low" counts as the lowest DigiD level. */
const EIDAS: Readonly<Record<string, Level>> = {
  "http://eidas.europa.eu/LoA/low": "basis",
  "http://eidas.europa.eu/LoA/substantial": "substantieel",
  "http://eidas.europa.eu/LoA/high": "hoog",
};

export function levelOf(classRefOrAcr: string): Level | undefined {
  for (const level of LEVELS) if (DIGID_CLASS_REF[level] === classRefOrAcr) return level;
  return EIDAS[classRefOrAcr];
}

export function atLeast(level: Level, minimum: Level): boolean {
  return LEVELS.indexOf(level) >= LEVELS.indexOf(minimum);
}

/** The configured minimum, or undefined when the setting names no level (a configuration error). */
export function minimumLevel(setting: string | undefined): Level | undefined {
  if (setting === undefined || setting.trim() === "") return DEFAULT_MINIMUM;
  const s = setting.trim().toLowerCase();
  return (LEVELS as readonly string[]).includes(s) ? (s as Level) : undefined;
}
