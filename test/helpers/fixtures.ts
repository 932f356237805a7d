/**
 * Every public MedMij list example and implementation fixture (test/fixtures/medmij, see its
 * SOURCES.md), as text, with the schema it is checked against and the expected verdict.
 */
import wl10Xsd from "../fixtures/medmij/release-1.0/xsd/MedMij_Whitelist.xsd";
import ocl10Xsd from "../fixtures/medmij/release-1.0/xsd/MedMij_OAuthclientlist-3.xsd";
import zal10Xsd from "../fixtures/medmij/release-1.0/xsd/MedMij_Zorgaanbiederslijst-3.xsd";
import gnl11Xsd from "../../xsd/afsprakenstelsel-1.1/MedMij_Gegevensdienstnamenlijst.xsd.ts";
import ocl11Xsd from "../../xsd/afsprakenstelsel-1.1/MedMij_OAuthclientlist.xsd.ts";
import wl11Xsd from "../../xsd/afsprakenstelsel-1.1/MedMij_Whitelist.xsd.ts";
import zal11Xsd from "../../xsd/afsprakenstelsel-1.1/MedMij_Zorgaanbiederslijst.xsd.ts";
import ocl3Xsd from "../../xsd/medmij-edge/MedMij_OAuthclientlist-release3.xsd.ts";
import prXsd from "../../xsd/medmij-edge/MedMij_Portabiliteitsrapport.xsd.ts";

export const SCHEMAS = {
  "whitelist-1.0": wl10Xsd,
  "zal-1.0": zal10Xsd,
  "ocl-1.0": ocl10Xsd,
  "whitelist-1.1": wl11Xsd,
  "zal-1.1": zal11Xsd,
  "ocl-1.1": ocl11Xsd,
  "gnl-1.1": gnl11Xsd,
  "ocl-release3": ocl3Xsd,
  portabiliteitsrapport: prXsd,
} as const;

export type SchemaName = keyof typeof SCHEMAS;

const files = import.meta.glob("../fixtures/medmij/**/*.xml", { query: "?raw", import: "default", eager: true }) as Record<string, string>;

export function fixture(path: string): string {
  const text = files[`../fixtures/medmij/${path}`];
  if (text === undefined) throw new Error(`no fixture ${path}`);
  return text;
}

export const FIXTURE_PATHS: readonly string[] = Object.keys(files).map((k) => k.replace("../fixtures/medmij/", ""));

/**
 * Expected verdicts (SOURCES.md): Whitelist File version 2 (flat MedMijNode) and File version 9
 * (MedMijNode/Hostname) share a namespace but not a content model; two old GIDS ZALs break the
 * Zorgaanbiedernaam pattern; the later-2.x ZAL is in the release3 namespace.
 */
export interface Case {
  readonly file: string;
  readonly schema: SchemaName;
  readonly valid: boolean;
  /** For invalid cases: the reason the first error must carry. */
  readonly reason?: RegExp;
}

const FLAT_WHITELIST = /Element 'MedMijNode': Character content other than whitespace is not allowed because the content type is 'element-only'/;
const NESTED_WHITELIST = /Element 'MedMijNode': Element content is not allowed, because the type definition is simple/;
const GIDS_NAME = /Element 'Zorgaanbiedernaam': \[facet 'pattern'\] The value 'oauthserver\.local@medmij' is not accepted by the pattern '\(\[a-z\]\)\+@medmij'/;

export const CASES: readonly Case[] = [
  // release 1.0 examples and variants against the release 1.0 schemas
  { file: "release-1.0/examples/MedMij_Whitelist_example.xml", schema: "whitelist-1.0", valid: true },
  { file: "release-1.0/examples/MedMij_Whitelist_example.xml", schema: "whitelist-1.1", valid: false, reason: FLAT_WHITELIST },
  { file: "release-1.0/examples/MedMij_Zorgaanbiederslijst_example.xml", schema: "zal-1.0", valid: true },
  { file: "release-1.0/examples/MedMij_OAuthclientlist_example.xml", schema: "ocl-1.0", valid: true },
  { file: "release-1.0/variants/PHP-initial__MedMij_Zorgaanbiederslijst_example.xml", schema: "zal-1.0", valid: true },
  { file: "release-1.0/variants/PHP-initial__MedMij_OAuthclientlist_example.xml", schema: "ocl-1.0", valid: true },
  // release 1.1 examples and variants against the release 1.1 schemas
  { file: "release-1.1/examples/MedMij_Whitelist_example.xml", schema: "whitelist-1.1", valid: true },
  { file: "release-1.1/examples/MedMij_Whitelist_example.xml", schema: "whitelist-1.0", valid: false, reason: NESTED_WHITELIST },
  { file: "release-1.1/examples/MedMij_Zorgaanbiederslijst_example.xml", schema: "zal-1.1", valid: true },
  { file: "release-1.1/examples/MedMij_OAuthclientlist_example.xml", schema: "ocl-1.1", valid: true },
  { file: "release-1.1/examples/MedMij_OAuthclientlist_example.xml", schema: "ocl-release3", valid: false, reason: /No matching global declaration/ },
  { file: "release-1.1/examples/MedMij_Gegevensdienstnamenlijst_example.xml", schema: "gnl-1.1", valid: true },
  { file: "release-1.1/variants/GIDS-python-oauth__MedMij_Gegevensdienstnamenlijst_example.xml", schema: "gnl-1.1", valid: true },
  { file: "release-1.1/variants/Zorgdoc-python__whitelist_example.xml", schema: "whitelist-1.1", valid: true },
  // implementation fixtures
  { file: "impl-fixtures/GIDS-Python-OAuth/zal.xml", schema: "zal-1.1", valid: true },
  { file: "impl-fixtures/GIDS-Python-OAuth/zal@47fb6b7.xml", schema: "zal-1.1", valid: false, reason: GIDS_NAME },
  { file: "impl-fixtures/GIDS-Python-OAuth/zal@fcebff7.xml", schema: "zal-1.1", valid: false, reason: GIDS_NAME },
  { file: "impl-fixtures/GIDS-Python-OAuth/ocl.xml", schema: "ocl-1.1", valid: true },
  { file: "impl-fixtures/GIDS-Python-OAuth/whitelist.xml", schema: "whitelist-1.0", valid: true },
  { file: "impl-fixtures/GIDS-Python-OAuth/whitelist.xml", schema: "whitelist-1.1", valid: false, reason: FLAT_WHITELIST },
  { file: "impl-fixtures/Zorgdoc-java/WhitelistExample1.xml", schema: "whitelist-1.1", valid: true },
  { file: "impl-fixtures/Zorgdoc-java/WhitelistExampleSingle.xml", schema: "whitelist-1.0", valid: true },
  { file: "impl-fixtures/Zorgdoc-java/WhitelistExampleSingle.xml", schema: "whitelist-1.1", valid: false, reason: FLAT_WHITELIST },
  { file: "impl-fixtures/Zorgdoc-java/ZALExampleSingle.xml", schema: "zal-1.1", valid: true },
  { file: "impl-fixtures/Zorgdoc-python/whitelist_example_single.xml", schema: "whitelist-1.1", valid: true },
  { file: "impl-fixtures/nl-mgo-dvp-proxy/whitelist.xml", schema: "whitelist-1.1", valid: true },
  { file: "impl-fixtures/nl-mgo-localization/zakl_dummy.xml", schema: "zal-1.1", valid: false, reason: /No matching global declaration/ },
  // later releases: other namespaces, so not lists of this release
  { file: "later-2.x/MedMij_Zorgaanbiederslijst_example.9.3.xml", schema: "zal-1.1", valid: false, reason: /No matching global declaration/ },
  { file: "later-2.x/MedMij_Zorgaanbiederskoppellijst_example.5.1.xml", schema: "zal-1.1", valid: false, reason: /No matching global declaration/ },
];

/** The vendor Portabiliteitsrapport examples, moved into the namespace FACTS.md fixes. */
export function portabilityExample(name: "medmij-portability-report.xml" | "medmij-portability-report-empty.xml"): string {
  return fixture(`portabiliteitsrapport/${name}`).replace(
    "xmlns://afsprakenstelsel.medmij.nl/PortabiliteitsRapport/release1/",
    "xmlns://afsprakenstelsel.medmij.nl/portabiliteitsrapport/release1/",
  );
}
