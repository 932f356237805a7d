/**
 * Differential check (SPEC X-3): our exclusive C14N (workers/shared/xml/c14n.ts) must produce exactly
 * the bytes of two independent implementations, for every element of every test document: hand-made
 * namespace and escaping cases, the public MedMij lists, and the SAML messages the test identity provider
 * signs (test/peers/saml-idp.mjs):
 *   - libxml2's exclusive C14N (the implementation xmlsec1 uses), on every element of every document;
 *   - xml-crypto's ExclusiveCanonicalization (what the test IdP signs with), on every element of every
 *     document except where xml-crypto departs from the W3C text, listed in XML_CRYPTO_DEVIATIONS; the
 *     test fails if such a deviation disappears, so the list stays true.
 * Both run here in Node as references only.
 */
import { DOMParser, type Element as DomElement, type Node as DomNode } from "@xmldom/xmldom";
import { XmlC14NMode, XmlDocument, XmlElement as LibXmlElement } from "libxml2-wasm";
import { readFileSync } from "node:fs";
import { ExclusiveCanonicalization } from "xml-crypto";
import { describe, expect, it } from "vitest";
import { excC14n } from "../../workers/shared/xml/c14n.ts";
import { descendants } from "../../workers/shared/xml/dom.ts";
import { parseXml } from "../../workers/shared/xml/parse.ts";
import { samlTestDocuments } from "../peers/saml-documents.mjs";

const read = (p: string) => readFileSync(new URL(`../../${p}`, import.meta.url), "utf8");

export const HANDMADE: Record<string, string> = {
  "default namespace inherited by the apex": `<r xmlns="urn:a"><c><d/></c></r>`,
  "prefixes declared high, used low": `<p:r xmlns:p="urn:p" xmlns:q="urn:q" xmlns:unused="urn:u"><p:c><q:d q:at="1"/></p:c></p:r>`,
  "default namespace undone with an empty xmlns": `<r xmlns="urn:a"><c xmlns=""><d/></c></r>`,
  "prefix redeclared to another URI": `<p:r xmlns:p="urn:one"><p:c xmlns:p="urn:two"><p:d/></p:c></p:r>`,
  "prefix redeclared to the same URI": `<p:r xmlns:p="urn:one"><p:c xmlns:p="urn:one"><p:d/></p:c></p:r>`,
  "attribute order: unqualified first, then by namespace and name": `<r xmlns:b="urn:b" xmlns:a="urn:a" z="1" a="2" b:y="3" a:y="4" b:a="5" m="6"/>`,
  "escaping of text and attributes": `<r a="&lt;&amp;&quot;&#9;&#10;&#13;'&gt;">&lt;tag&gt; &amp; &#13; "quotes" 'apos' &#x20AC; ]]&gt;</r>`,
  "CDATA becomes text": `<r><![CDATA[<a> & b]]></r>`,
  "comments are dropped": `<r><!-- c --><a>x<!-- c -->y</a></r>`,
  "white space is kept": `<r>\n  <a>  x  </a>\n\t<b/>\n</r>`,
  "xml: attributes need no declaration": `<r xml:lang="nl"><a xml:space="preserve"> </a></r>`,
  "empty elements become pairs": `<r><a/><b></b></r>`,
  "non-ASCII names and text": `<r xmlns:é="urn:e"><é:naïef>Zoë &amp; Jan</é:naïef></r>`,
  "attribute normalisation of literal tabs and newlines": `<r a="x\ty\nz"/>`,
  "a processing instruction inside the element": `<r><?target some data?><a/><?empty?></r>`,
};

function domElements(node: DomNode, out: DomElement[] = []): DomElement[] {
  if (node.nodeType === 1) out.push(node as DomElement);
  for (let c = node.firstChild; c; c = c.nextSibling) domElements(c, out);
  return out;
}

/**
 * xml-crypto renders `xmlns=""` again on every descendant of an element that undid the default namespace
 * (it tracks the undeclared default as null, then compares null with ""). Exc-C14N §3 / C14N §4.6 render
 * it only where the output parent's default namespace is not already empty; libxml2 agrees.
 * xml-crypto also renders a processing instruction's data as if it were text, or throws on an empty one
 * (C14N §2.3 keeps `<?target data?>`).
 */
const XML_CRYPTO_DEVIATIONS: ReadonlySet<string> = new Set(["default namespace undone with an empty xmlns", "a processing instruction inside the element"]);

/** Every element in document order (XPath `descendant-or-self::*`, which also steps over PIs and comments). */
function libxmlElements(root: LibXmlElement): LibXmlElement[] {
  return root.find("descendant-or-self::*").filter((n): n is LibXmlElement => n instanceof LibXmlElement);
}

function compareEveryElement(xml: string, name: string): number {
  const dom = new DOMParser().parseFromString(xml, "application/xml");
  const xmlCrypto = domElements(dom.documentElement!);
  const libxml = XmlDocument.fromString(xml);
  try {
    const libxmlEls = libxmlElements(libxml.root);
    const ours = [...descendants(parseXml(xml).root)];
    expect(ours.length).toBe(xmlCrypto.length);
    expect(ours.length).toBe(libxmlEls.length);
    const c14n = new ExclusiveCanonicalization();
    let xmlCryptoDiffers = false;
    ours.forEach((el, i) => {
      const mine = excC14n(el);
      expect(mine, `libxml2, element ${i} <${el.name}>`).toBe(libxmlEls[i]!.canonicalizeToString({ mode: XmlC14NMode.XML_C14N_EXCLUSIVE_1_0 }));
      if (XML_CRYPTO_DEVIATIONS.has(name)) {
        let theirs: string | undefined;
        try {
          theirs = c14n.process(xmlCrypto[i] as unknown as Element, {});
        } catch {
          theirs = undefined; // xml-crypto cannot canonicalize it at all
        }
        xmlCryptoDiffers ||= mine !== theirs;
      } else {
        expect(mine, `xml-crypto, element ${i} <${el.name}>`).toBe(c14n.process(xmlCrypto[i] as unknown as Element, {}));
      }
    });
    if (XML_CRYPTO_DEVIATIONS.has(name)) expect(xmlCryptoDiffers, "the listed xml-crypto deviation no longer shows").toBe(true);
    return ours.length;
  } finally {
    libxml.dispose();
  }
}

describe("exclusive C14N equals libxml2's and xml-crypto's, element by element", () => {
  for (const [name, xml] of Object.entries(HANDMADE)) it(name, () => void compareEveryElement(xml, name));

  for (const list of ["MedMij_Zorgaanbiederslijst", "MedMij_Whitelist", "MedMij_OAuthclientlist", "MedMij_Gegevensdienstnamenlijst"]) {
    it(`the seeded ${list}`, () => void compareEveryElement(read(`kv-seed/lists/${list}.xml`), list));
  }

  it("every SAML message of the test identity provider (signed, encrypted, SOAP-wrapped)", async () => {
    const docs = await samlTestDocuments();
    expect(docs.length).toBeGreaterThan(5);
    let elements = 0;
    for (const xml of docs) elements += compareEveryElement(xml, "saml");
    expect(elements).toBeGreaterThan(100);
  });
});
