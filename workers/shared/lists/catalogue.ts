/**
 * The four MedMij lists and the releases of each that this project serves and reads (SPEC L-1, L-2).
 *
 * A list's `release` is the release number in its XML namespace
 * (`xmlns://afsprakenstelsel.medmij.nl/<list>/release<N>/`): unambiguous, and the same number the
 * versioned list interface takes in `?release=N` (or `?api=N`, the name later MedMij releases use).
 */
import gnlRelease1Xsd from "../../../xsd/afsprakenstelsel-1.1/MedMij_Gegevensdienstnamenlijst.xsd.ts";
import oclRelease2Xsd from "../../../xsd/afsprakenstelsel-1.1/MedMij_OAuthclientlist.xsd.ts";
import whitelistRelease2Xsd from "../../../xsd/afsprakenstelsel-1.1/MedMij_Whitelist.xsd.ts";
import zalRelease2Xsd from "../../../xsd/afsprakenstelsel-1.1/MedMij_Zorgaanbiederslijst.xsd.ts";
import oclRelease3Xsd from "../../../xsd/medmij-edge/MedMij_OAuthclientlist-release3.xsd.ts";
import { compileSchema, type CompiledSchema } from "../xsd/index.ts";

export type ListKind = "Zorgaanbiederslijst" | "Whitelist" | "OAuthclientlist" | "Gegevensdienstnamenlijst";

export const LIST_KINDS: readonly ListKind[] = [
  "Zorgaanbiederslijst",
  "Whitelist",
  "OAuthclientlist",
  "Gegevensdienstnamenlijst",
];

export interface ListRelease {
  readonly kind: ListKind;
  readonly release: string;
  readonly namespace: string;
  /** The XSD text this release validates against (L-1, L-3, L-4). */
  readonly xsd: string;
}

const NS_BASE = "xmlns://afsprakenstelsel.medmij.nl/";

function release(kind: ListKind, nsName: string, n: string, xsd: string): ListRelease {
  return { kind, release: n, namespace: `${NS_BASE}${nsName}/release${n}/`, xsd };
}

/** Oldest first. L-2: the OAuthclientlist is served in the old (2) and new (3, with Gegevensdiensten) form. */
export const RELEASES: Readonly<Record<ListKind, readonly ListRelease[]>> = {
  Zorgaanbiederslijst: [release("Zorgaanbiederslijst", "zorgaanbiederslijst", "2", zalRelease2Xsd)],
  Whitelist: [release("Whitelist", "whitelist", "2", whitelistRelease2Xsd)],
  OAuthclientlist: [
    release("OAuthclientlist", "oauthclientlist", "2", oclRelease2Xsd),
    release("OAuthclientlist", "oauthclientlist", "3", oclRelease3Xsd),
  ],
  Gegevensdienstnamenlijst: [release("Gegevensdienstnamenlijst", "gegevensdienstnamenlijst", "1", gnlRelease1Xsd)],
};

export function fileNameOf(kind: ListKind): string {
  return `MedMij_${kind}.xml`;
}

export function kindOfFileName(fileName: string): ListKind | undefined {
  return LIST_KINDS.find((kind) => fileNameOf(kind) === fileName);
}

export function findRelease(kind: ListKind, n: string): ListRelease | undefined {
  return RELEASES[kind].find((r) => r.release === n);
}

export function newestRelease(kind: ListKind): ListRelease {
  const all = RELEASES[kind];
  return all[all.length - 1]!;
}

const compiled = new Map<ListRelease, CompiledSchema>();

/** Schemas compile once per isolate, on first use. */
export function schemaOf(r: ListRelease): CompiledSchema {
  let schema = compiled.get(r);
  if (!schema) {
    schema = compileSchema(r.xsd);
    compiled.set(r, schema);
  }
  return schema;
}
