/**
 * Typed, JSON-serialisable forms of the four lists (SPEC L-1). Nodes keep these in KV; lookups go
 * through the indexes in the per-list modules. Every list starts with Tijdstempel and Volgnummer
 * (FACTS.md); Volgnummer is an xs:positiveInteger, kept as a decimal string because it may exceed 2^53.
 */
import type { ListKind } from "./catalogue.ts";

export interface ListHeader {
  readonly kind: ListKind;
  /** The namespace release the list was read from (catalogue.ts). */
  readonly release: string;
  readonly tijdstempel: string;
  readonly volgnummer: string;
}

export interface Whitelist extends ListHeader {
  readonly kind: "Whitelist";
  readonly hostnames: readonly string[];
}

export interface OAuthclient {
  /** The DVP Server hostname, which is also its client_id (FACTS.md). */
  readonly hostname: string;
  readonly organisatienaam: string;
  /**
   * AS-13: the Gegevensdiensten the client is recognised ("erkend") for. Absent in release 2 lists,
   * which cannot prove recognition, so an AS must read release 3.
   */
  readonly gegevensdiensten?: readonly string[];
}

export interface OAuthclientlist extends ListHeader {
  readonly kind: "OAuthclientlist";
  readonly clients: readonly OAuthclient[];
}

export interface Systeemrol {
  readonly code: string;
  readonly resourceEndpoint: string;
}

export interface AangebodenGegevensdienst {
  readonly id: string;
  readonly authorizationEndpoint: string;
  readonly tokenEndpoint: string;
  readonly systeemrollen: readonly Systeemrol[];
}

export interface Zorgaanbieder {
  /** `name@medmij` (L-6). */
  readonly naam: string;
  readonly gegevensdiensten: readonly AangebodenGegevensdienst[];
}

export interface Zorgaanbiederslijst extends ListHeader {
  readonly kind: "Zorgaanbiederslijst";
  readonly zorgaanbieders: readonly Zorgaanbieder[];
}

export interface GegevensdienstNaam {
  readonly id: string;
  readonly weergavenaam: string;
}

export interface Gegevensdienstnamenlijst extends ListHeader {
  readonly kind: "Gegevensdienstnamenlijst";
  readonly gegevensdiensten: readonly GegevensdienstNaam[];
}

export type MedMijList = Whitelist | OAuthclientlist | Zorgaanbiederslijst | Gegevensdienstnamenlijst;

export type ListOfKind<K extends ListKind> = Extract<MedMijList, { kind: K }>;
