/**
 * Well-formedness (XML 1.0 + Namespaces 1.0) and the parser's safety limits. A list that is not
 * well-formed is rejected before any schema is consulted (SPEC L-9).
 */
import { describe, expect, it } from "vitest";
import { parseXml } from "../../../workers/shared/xml/parse.ts";
import { XmlSyntaxError, type XmlElement } from "../../../workers/shared/xml/types.ts";

function reject(xml: string): XmlSyntaxError {
  try {
    parseXml(xml);
  } catch (e) {
    if (e instanceof XmlSyntaxError) return e;
    throw e;
  }
  throw new Error(`accepted: ${xml.slice(0, 60)}`);
}

describe("rejects what is not well-formed", () => {
  it.each([
    ["mismatched end tag", "<a><b></a>", /end tag 'a' does not match start tag 'b'/],
    ["unclosed element", "<a><b>", /element 'b' is not closed/],
    ["two root elements", "<a/><b/>", /only one root element/],
    ["text after the root", "<a/>x", /content after the root element/],
    ["no root", "<!-- only a comment -->", /no root element/],
    ["empty input", "", /no root element/],
    ["duplicate attribute", '<a b="1" b="2"/>', /attribute 'b' is repeated/],
    ["duplicate attribute after namespace expansion", '<a xmlns:p="u" xmlns:q="u" p:x="1" q:x="2"/>', /repeated \(same namespace and local name\)/],
    ["unquoted attribute", "<a b=1/>", /attribute value must be quoted/],
    ["'<' in an attribute value", '<a b="<"/>', /'<' is not allowed in an attribute value/],
    ["attributes without space", '<a b="1"c="2"/>', /space expected between attributes/],
    ["undefined entity", "<a>&nbsp;</a>", /entity 'nbsp' is not defined/],
    ["reference without ';'", "<a>&amp</a>", /must end with ';'/],
    ["illegal character reference", "<a>&#1;</a>", /not a legal character reference/],
    ["unbound prefix", "<p:a/>", /namespace prefix 'p' is not declared/],
    ["unbound attribute prefix", '<a p:b="1"/>', /namespace prefix 'p' is not declared/],
    ["rebinding xml", '<a xmlns:xml="urn:x"/>', /prefix 'xml' cannot be bound/],
    ["declaring xmlns", '<a xmlns:xmlns="urn:x"/>', /the prefix 'xmlns' cannot be declared/],
    ["undeclaring a prefix (Namespaces 1.0)", '<a xmlns:p=""/>', /cannot be undeclared/],
    ["two colons", "<a:b:c/>", /not a valid qualified name/],
    ["a control character", "<a>\u0001</a>", /character U\+0001 is not allowed/],
    ["U+FFFE", "<a>\uFFFE</a>", /character U\+FFFE is not allowed/],
    ["a lone surrogate", "<a>\uD800</a>", /is not allowed in XML/],
    ["']]>' in text", "<a>]]></a>", /']]>' is not allowed/],
    ["'--' in a comment", "<a><!-- a -- b --></a>", /'--' is not allowed inside a comment/],
    ["unterminated CDATA", "<a><![CDATA[x</a>", /unterminated CDATA/],
    ["XML declaration not at the start", ' <?xml version="1.0"?><a/>', /XML declaration is only allowed at the very start/],
    ["malformed XML declaration", '<?xml version="2"?><a/>', /malformed XML declaration/],
    ["a non-UTF-8 encoding declaration", '<?xml version="1.0" encoding="ISO-8859-1"?><a/>', /UTF-8 only/],
    ["a bad name", "<1a/>", /a name was expected/],
  ])("%s", (_name, xml, message) => {
    expect(reject(xml).message).toMatch(message);
  });

  it("reports the line and column", () => {
    const e = reject("<a>\n  <b>\n</a>");
    expect(e.line).toBe(3);
    expect(e.message).toMatch(/\(line 3, column 1\)/);
  });
});

describe("security", () => {
  it("refuses a DOCTYPE, so no external entity (XXE) can be read", () => {
    const xxe = '<?xml version="1.0"?><!DOCTYPE a [<!ENTITY x SYSTEM "file:///etc/passwd">]><a>&x;</a>';
    expect(reject(xxe).message).toMatch(/document type declarations are not allowed/);
  });

  it("refuses a DOCTYPE, so no entity expansion bomb (billion laughs) can run", () => {
    const lol = `<!DOCTYPE lolz [<!ENTITY lol "lol">${Array.from({ length: 9 }, (_, i) => `<!ENTITY lol${i + 1} "${`&lol${i || ""};`.repeat(10)}">`).join("")}]><lolz>&lol9;</lolz>`;
    expect(reject(lol).message).toMatch(/document type declarations are not allowed/);
  });

  it("bounds nesting depth", () => {
    expect(reject("<a>".repeat(65) + "</a>".repeat(65)).message).toMatch(/nested deeper than 64/);
    expect(() => parseXml("<a>".repeat(64) + "</a>".repeat(64))).not.toThrow();
  });

  it("bounds the number of nodes", () => {
    expect(() => parseXml(`<a>${"<b/>".repeat(1001)}</a>`, { maxNodes: 1000 })).toThrow(/more than 1000 nodes/);
  });
});

describe("builds the exact tree", () => {
  it("decodes references and CDATA, drops comments, merges adjacent text, keeps PIs inside the root (C14N renders them)", () => {
    const { root } = parseXml('\uFEFF<?xml version="1.0" encoding="UTF-8"?><!-- c --><?outside x?><a x="1&amp;2&#x9;3">a&lt;b<!-- c --><![CDATA[<&>]]>&#233;<?pi x?></a>');
    expect(root.attributes).toEqual([{ name: "x", ns: "", prefix: "", value: "1&2\t3" }]);
    expect(root.children).toEqual([
      { kind: "text", value: "a<b<&>é" },
      { kind: "pi", target: "pi", data: "x" },
    ]);
  });

  it("parses a fragment in the namespace context it was cut from (a decrypted assertion)", () => {
    const { root } = parseXml("<saml:Assertion/>", { namespaces: new Map([["saml", "urn:oasis:names:tc:SAML:2.0:assertion"]]) });
    expect(root.ns).toBe("urn:oasis:names:tc:SAML:2.0:assertion");
  });

  it("normalises line ends and white space in attribute values", () => {
    const { root } = parseXml('<a x="1\r\n2\t3">l1\r\nl2\rl3</a>');
    expect(root.attributes[0]!.value).toBe("1 2 3");
    expect(root.children).toEqual([{ kind: "text", value: "l1\nl2\nl3" }]);
  });

  it("resolves default and prefixed namespaces; unprefixed attributes are in no namespace", () => {
    const { root } = parseXml('<r xmlns="urn:d" xmlns:p="urn:p" a="1" p:b="2"><p:c/><d xmlns=""/></r>');
    expect([root.ns, root.name]).toEqual(["urn:d", "r"]);
    expect(root.attributes.map((a) => [a.ns, a.name])).toEqual([["", "a"], ["urn:p", "b"]]);
    const [c, d] = root.children as XmlElement[];
    expect([c!.ns, c!.name, d!.ns, d!.name]).toEqual(["urn:p", "c", "", "d"]);
  });
});
