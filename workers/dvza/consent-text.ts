/**
 * The fixed wordings the Person is asked (SPEC AS-1, AS-2; FACTS.md). Pure and exact: tests compare
 * them character for character.
 */
export interface ConsentSubject {
  /** The Zorgaanbiedernaam from the Zorgaanbiederslijst (L-6: human-friendly). */
  readonly zorgaanbieder: string;
  /** The Weergavenaam from the Gegevensdienstnamenlijst. */
  readonly gegevensdienst: string;
  /** The OAuthclientOrganisatienaam from the OAuthclientlist. */
  readonly pgo: string;
}

/** AS-1, before every Verzamelen: the release 1.0 wording, fixed. */
export function toestemmingsvraag(s: ConsentSubject): string {
  return `U verleent hierbij '${s.zorgaanbieder}' toestemming om '${s.gegevensdienst}' uit te wisselen met '${s.pgo}' voor het doel deze (persoons)gegevens en gezondheidsinformatie in uw persoonlijke gezondheidsomgeving op te nemen.`;
}

/**
 * AS-2, before every Delen. The Afsprakenstelsel fixes a wording for the confirmation but none is
 * public; this is the project's wording, in the style of the Verzamelen text.
 */
export function bevestigingsvraag(s: ConsentSubject): string {
  return `U bevestigt hierbij dat '${s.pgo}' '${s.gegevensdienst}' uit uw persoonlijke gezondheidsomgeving ter beschikking stelt aan '${s.zorgaanbieder}'.`;
}
