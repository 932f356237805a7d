/** The kv-seed lists as text (Vite `?raw`), as Registratie publishes them. */
import gnl from "../../kv-seed/lists/MedMij_Gegevensdienstnamenlijst.xml?raw";
import ocl from "../../kv-seed/lists/MedMij_OAuthclientlist.xml?raw";
import whitelist from "../../kv-seed/lists/MedMij_Whitelist.xml?raw";
import zal from "../../kv-seed/lists/MedMij_Zorgaanbiederslijst.xml?raw";
import type { ListKind } from "../../workers/shared/lists/catalogue.ts";

export const SEED_XML: Readonly<Record<ListKind, string>> = {
  Zorgaanbiederslijst: zal,
  Whitelist: whitelist,
  OAuthclientlist: ocl,
  Gegevensdienstnamenlijst: gnl,
};

/** Same list, other Volgnummer (and optionally Tijdstempel): how a newer publication looks. */
export function withVersion(xml: string, volgnummer: string | number, tijdstempel?: string): string {
  let out = xml.replace(/<Volgnummer>\d+<\/Volgnummer>/, `<Volgnummer>${volgnummer}</Volgnummer>`);
  if (tijdstempel) out = out.replace(/<Tijdstempel>[^<]+<\/Tijdstempel>/, `<Tijdstempel>${tijdstempel}</Tijdstempel>`);
  return out;
}
