/**
 * Hand-made mutations of valid lists (SPEC L-1, L-4, L-9): each breaks one rule of the XSD and must
 * be rejected for that reason. And the compiler refuses schema constructs it does not implement.
 */
import { describe, expect, it } from "vitest";
import { XsdUnsupportedError, compileSchema, validateXmlText } from "../../../workers/shared/xsd/index.ts";
import { SCHEMAS, fixture } from "../../helpers/fixtures.ts";
import { SEED_XML } from "../../helpers/seed-xml.ts";

const whitelist = compileSchema(SCHEMAS["whitelist-1.1"]);
const zal = compileSchema(SCHEMAS["zal-1.1"]);
const ocl3 = compileSchema(SCHEMAS["ocl-release3"]);
const WL = fixture("release-1.1/examples/MedMij_Whitelist_example.xml");
const ZAL = fixture("release-1.1/examples/MedMij_Zorgaanbiederslijst_example.xml");

function firstError(xml: string, schema = whitelist): string {
  const r = validateXmlText(xml, schema);
  if (r.ok) throw new Error("expected the document to be rejected");
  return r.errors[0]!.message;
}

describe("Whitelist mutations", () => {
  it.each<[string, (s: string) => string, RegExp]>([
    ["Volgnummer 0", (s) => s.replace("<Volgnummer>28654</Volgnummer>", "<Volgnummer>0</Volgnummer>"), /Element 'Volgnummer': '0' is not a valid value of the atomic type 'Positiefnummer'/],
    ["Volgnummer negative", (s) => s.replace("<Volgnummer>28654</Volgnummer>", "<Volgnummer>-3</Volgnummer>"), /'-3' is not a valid value/],
    ["Volgnummer not a number", (s) => s.replace("<Volgnummer>28654</Volgnummer>", "<Volgnummer>12a</Volgnummer>"), /'12a' is not a valid value/],
    ["duplicate Hostname", (s) => s.replace("<Hostname>rcf-rso.nl</Hostname>", "<Hostname>medmij.xisbridge.net</Hostname>"), /Duplicate key-sequence \['medmij\.xisbridge\.net'\] in unique identity-constraint 'Unieke_MedMijNode'/],
    ["upper-case hostname", (s) => s.replace("<Hostname>rcf-rso.nl</Hostname>", "<Hostname>RCF-rso.nl</Hostname>"), /Element 'Hostname': \[facet 'pattern'\] The value 'RCF-rso\.nl' is not accepted/],
    ["trailing dot", (s) => s.replace("<Hostname>rcf-rso.nl</Hostname>", "<Hostname>rcf-rso.nl.</Hostname>"), /facet 'pattern'/],
    ["single-label host", (s) => s.replace("<Hostname>rcf-rso.nl</Hostname>", "<Hostname>localhost</Hostname>"), /facet 'pattern'/],
    ["empty host", (s) => s.replace("<Hostname>rcf-rso.nl</Hostname>", "<Hostname></Hostname>"), /facet 'pattern'/],
    ["elements out of order", (s) => s.replace(/(<Tijdstempel>.*<\/Tijdstempel>)(\s*)(<Volgnummer>.*<\/Volgnummer>)/, "$3$2$1"), /Element 'Volgnummer': This element is not expected\. Expected is \( Tijdstempel \)/],
    ["missing Volgnummer", (s) => s.replace(/<Volgnummer>.*<\/Volgnummer>/, ""), /Element 'MedMijNodes': This element is not expected\. Expected is \( Volgnummer \)/],
    ["missing MedMijNodes", (s) => s.replace(/<MedMijNodes>[\s\S]*<\/MedMijNodes>/, ""), /Element 'Whitelist': Missing child element\(s\)\. Expected is \( MedMijNodes \)/],
    ["unknown element", (s) => s.replace("<MedMijNodes>", "<Extra/><MedMijNodes>"), /Element 'Extra': This element is not expected\. Expected is \( MedMijNodes \)/],
    ["text in element-only content", (s) => s.replace("<MedMijNodes>", "<MedMijNodes>oops"), /Element 'MedMijNodes': Character content other than whitespace is not allowed/],
    ["29 February in a common year", (s) => s.replace(/<Tijdstempel>.*<\/Tijdstempel>/, "<Tijdstempel>2019-02-29T10:00:00Z</Tijdstempel>"), /'2019-02-29T10:00:00Z' is not a valid value of the atomic type 'DatumTijd'/],
    ["hour 25", (s) => s.replace(/<Tijdstempel>.*<\/Tijdstempel>/, "<Tijdstempel>2019-02-28T25:00:00Z</Tijdstempel>"), /is not a valid value/],
    ["timezone +15:00", (s) => s.replace(/<Tijdstempel>.*<\/Tijdstempel>/, "<Tijdstempel>2019-02-28T10:00:00+15:00</Tijdstempel>"), /is not a valid value/],
    ["dateTime shorter than the pattern allows", (s) => s.replace(/<Tijdstempel>.*<\/Tijdstempel>/, "<Tijdstempel>2019-02-28T10:00:00</Tijdstempel>"), /\[facet 'pattern'\] The value '2019-02-28T10:00:00' is not accepted by the pattern '\.\{20,\}'/],
    ["extra attribute", (s) => s.replace("<MedMijNodes>", '<MedMijNodes evil="1">'), /attribute 'evil': The attribute 'evil' is not allowed/],
    ["xsi:type is not honoured", (s) => s.replace("<MedMijNodes>", '<MedMijNodes xsi:type="x">'), /xsi:type/],
    ["wrong namespace", (s) => s.replace("whitelist/release2/", "whitelist/release1/").replace("whitelist/release2/", "whitelist/release1/"), /No matching global declaration available for the validation root/],
    ["element in no namespace", (s) => s.replace("<MedMijNodes>", '<MedMijNodes xmlns="">').replace(/<\/MedMijNodes>/, "</MedMijNodes>"), /This element is not expected/],
  ])("%s", (_name, mutate, reason) => {
    const xml = mutate(WL);
    expect(xml).not.toBe(WL);
    expect(firstError(xml)).toMatch(reason);
  });

  it("allowed variation stays valid: whitespace, comments, CDATA, character references, 24:00:00, a timezone", () => {
    const xml = WL.replace(/<Tijdstempel>.*<\/Tijdstempel>/, "<Tijdstempel>\n 2018-04-16T24:00:00+14:00 </Tijdstempel>")
      .replace("<Hostname>rcf-rso.nl</Hostname>", "<Hostname><![CDATA[rcf-rso]]>&#46;nl<!-- x --></Hostname>")
      .replace("<Volgnummer>28654</Volgnummer>", "<Volgnummer>+028654</Volgnummer>");
    expect(validateXmlText(xml, whitelist)).toMatchObject({ ok: true });
  });
});

describe("Zorgaanbiederslijst and OAuthclientlist mutations", () => {
  it.each<[string, (s: string) => string, RegExp]>([
    ["L-6: name without @medmij", (s) => s.replace("umcharderwijk@medmij", "umcharderwijk"), /Zorgaanbiedernaam.*facet 'minLength'|Zorgaanbiedernaam.*facet 'pattern'/],
    ["L-6: duplicate provider name", (s) => s.replace("radiologencentraalflevoland@medmij", "umcharderwijk@medmij"), /Duplicate key-sequence \['umcharderwijk@medmij'\] in unique identity-constraint 'Unieke_Zorgaanbieder'/],
    ["duplicate Gegevensdienst within a provider", (s) => s.replace("<GegevensdienstId>6</GegevensdienstId>", "<GegevensdienstId>4</GegevensdienstId>"), /Unieke_Gegevensdienst/],
    ["http endpoint", (s) => s.replace("https://medmij.za982.xisbridge.net/oauth/authorize", "http://medmij.za982.xisbridge.net/oauth/authorize"), /AuthorizationEndpointuri.*facet 'pattern'/],
    ["endpoint with a query", (s) => s.replace("https://medmij.xisbridge.net/oauth/token", "https://medmij.xisbridge.net/oauth/token?x=1"), /TokenEndpointuri.*facet 'pattern'/],
    ["G-2: provider without Gegevensdiensten", (s) => s.replace(/<Gegevensdiensten>\s*<Gegevensdienst>\s*<GegevensdienstId>1<[\s\S]*?<\/Gegevensdiensten>/, "<Gegevensdiensten></Gegevensdiensten>"), /Element 'Gegevensdiensten': Missing child element\(s\)\. Expected is \( Gegevensdienst \)/],
  ])("%s", (_name, mutate, reason) => {
    const xml = mutate(ZAL);
    expect(xml).not.toBe(ZAL);
    expect(firstError(xml, zal)).toMatch(reason);
  });

  it("OAuthclientlist release 3: a Gegevensdienst listed twice for one client is rejected", () => {
    const xml = SEED_XML.OAuthclientlist.replace("<GegevensdienstId>24</GegevensdienstId>", "<GegevensdienstId>5</GegevensdienstId>");
    expect(firstError(xml, ocl3)).toMatch(/Duplicate key-sequence \['5'\] in unique identity-constraint 'Unieke_Gegevensdienst'/);
  });

  it("OAuthclientlist release 3: an organisation name over 50 characters is rejected", () => {
    const xml = SEED_XML.OAuthclientlist.replace("MijnZorgApp", "M".repeat(51));
    expect(firstError(xml, ocl3)).toMatch(/OAuthclientOrganisatienaam.*exceeds the allowed maximum length of '50'/);
  });
});

describe("the compiler fails closed", () => {
  const wrap = (body: string) =>
    `<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:t="urn:t" targetNamespace="urn:t" elementFormDefault="qualified">${body}</xs:schema>`;
  it.each([
    ["xs:any", wrap(`<xs:element name="a"><xs:complexType><xs:sequence><xs:any/></xs:sequence></xs:complexType></xs:element>`)],
    ["xs:import", wrap(`<xs:import namespace="urn:x"/>`)],
    ["xs:include", wrap(`<xs:include schemaLocation="x.xsd"/>`)],
    ["xs:group", wrap(`<xs:group name="g"><xs:sequence/></xs:group>`)],
    ["xs:all", wrap(`<xs:element name="a"><xs:complexType><xs:all/></xs:complexType></xs:element>`)],
    ["an unknown facet", wrap(`<xs:simpleType name="s"><xs:restriction base="xs:decimal"><xs:totalDigits value="3"/></xs:restriction></xs:simpleType>`)],
    ["xs:list", wrap(`<xs:simpleType name="s"><xs:list itemType="xs:string"/></xs:simpleType>`)],
    ["element ref", wrap(`<xs:element name="a"><xs:complexType><xs:sequence><xs:element ref="t:b"/></xs:sequence></xs:complexType></xs:element>`)],
    ["nillable", wrap(`<xs:element name="a" type="xs:string" nillable="true"/>`)],
    ["an untyped element (anyType)", wrap(`<xs:element name="a"/>`)],
    ["a type from another namespace", wrap(`<xs:element name="a" type="t2:x" xmlns:t2="urn:other"/>`)],
    ["an unsupported built-in", wrap(`<xs:element name="a" type="xs:duration"/>`)],
    ["character-class subtraction", wrap(`<xs:simpleType name="s"><xs:restriction base="xs:string"><xs:pattern value="[a-z-[aeiou]]"/></xs:restriction></xs:simpleType>`)],
    ["the \\i escape", wrap(`<xs:simpleType name="s"><xs:restriction base="xs:string"><xs:pattern value="\\i\\c*"/></xs:restriction></xs:simpleType>`)],
    ["a keyref", wrap(`<xs:element name="a" type="xs:string"><xs:keyref name="k" refer="t:x"><xs:selector xpath="."/><xs:field xpath="."/></xs:keyref></xs:element>`)],
  ])("refuses %s", (_name, xsd) => {
    expect(() => compileSchema(xsd)).toThrow(XsdUnsupportedError);
  });

  it("a schema that is not well-formed is refused", () => {
    expect(() => compileSchema("<xs:schema")).toThrow(XsdUnsupportedError);
  });
});
