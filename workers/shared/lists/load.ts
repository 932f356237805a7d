/**
 * Turn list XML into a typed list, or a reason why not (L-1, L-3, L-4, L-9): well-formed, valid
 * against the release's XSD, rooted in the release's namespace, and semantically sound.
 * Pure: used by Registratie before it publishes and by every node before it uses a list.
 */
import { validateXmlText } from "../xsd/index.ts";
import { type ListKind, type ListRelease, schemaOf } from "./catalogue.ts";
import { readGegevensdienstnamenlijst } from "./gegevensdienstnamenlijst.ts";
import type { ListOfKind, MedMijList } from "./model.ts";
import { readOAuthclientlist } from "./oauthclientlist.ts";
import { checkWhitelist, readWhitelist } from "./whitelist.ts";
import { readZorgaanbiederslijst } from "./zorgaanbiederslijst.ts";
import type { XmlElement } from "../xml/types.ts";

export type LoadResult<K extends ListKind> = { ok: true; list: ListOfKind<K> } | { ok: false; reason: string };

const READERS: { readonly [K in ListKind]: (root: XmlElement, release: string) => ListOfKind<K> } = {
  Whitelist: readWhitelist,
  OAuthclientlist: readOAuthclientlist,
  Zorgaanbiederslijst: readZorgaanbiederslijst,
  Gegevensdienstnamenlijst: readGegevensdienstnamenlijst,
};

function semanticProblem(list: MedMijList): string | undefined {
  return list.kind === "Whitelist" ? checkWhitelist(list) : undefined;
}

export function loadList<K extends ListKind>(r: ListRelease & { kind: K }, xml: string): LoadResult<K> {
  const validated = validateXmlText(xml, schemaOf(r));
  if (!validated.ok) {
    const first = validated.errors[0];
    const more = validated.errors.length > 1 ? ` (+${validated.errors.length - 1} more)` : "";
    return { ok: false, reason: `not valid against the ${r.kind} release ${r.release} XSD: line ${first?.line ?? 0}: ${first?.message ?? "invalid"}${more}` };
  }
  const root = validated.doc.root;
  // The XSD already pins the root's namespace; this guard keeps that true if schemas are ever swapped.
  if (root.ns !== r.namespace || root.name !== r.kind) {
    return { ok: false, reason: `root element {${root.ns}}${root.name} is not a ${r.kind} release ${r.release}` };
  }
  const list = READERS[r.kind](root, r.release);
  const problem = semanticProblem(list);
  return problem ? { ok: false, reason: problem } : { ok: true, list };
}
