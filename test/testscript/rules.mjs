// JavaScript ports of the Touchstone rules (Groovy) that the vendored scripts use. A script declares a rule with
// the testscript-rule extension (ruleId + path of the Groovy file); the engine reads that file and looks its
// SHA-256 up here. A rule whose file differs from the one ported is not run (the assert is reported as not
// evaluated): when Nictiz changes a rule, the port must be redone, not silently kept.

/**
 * @typedef {object} RuleInput
 * @property {string} requestUrl the request URL as sent (Touchstone's request.getURL())
 * @property {(expression: string) => string | null} fhirPathValue the first result of a FHIRPath expression on the
 *   response resource as a string, or null (Touchstone's response.getFhirPathValue())
 */

/**
 * @typedef {{ passed: true } | { passed: false, message: string }} RuleVerdict
 */

/**
 * Port of Nictiz's `assert_response_queryParamsInSelfLink.groovy` (identical in the four vendored standards:
 * test/fixtures/nictiz/<standard>/MedMij/Cert/_reference/rules/assert_response_queryParamsInSelfLink.groovy).
 * "Confirm that the parameters in the request URL are all handled by the server, by inspecting the self link."
 *
 * Statement by statement, keeping the Groovy's behaviour where it is surprising:
 * - the request URL and the self link are decoded with java.net.URLDecoder (`+` becomes a space, `%XX` are UTF-8
 *   bytes, a malformed escape throws);
 * - the URL is split on every `?` and only the part between the first and the second is used; with no `?` at all,
 *   `reqParts[1]` throws (the `reqParts.length > 0` guard is always true): the rule fails;
 * - every `&`-separated `name=value` must occur verbatim in the decoded self link, except that a value that looks
 *   like a reference (`^([A-Z][A-Za-z]+/)?([A-Za-z0-9\-\.]{1,64})$`) may have been rewritten by the server:
 *   `patient=123` passes when the self link has `patient=Patient/123` (any capitalised type, matched as a
 *   regular expression built from the parameter name and id, unescaped, as the Groovy does), and
 *   `patient=Patient/123` passes when the self link has `patient=123`;
 * - the first parameter that fails ends the rule, with "The requested parameter <name=value> was absent from the
 *   self link";
 * - a response without a self link makes the Groovy throw (URLDecoder.decode(null)): the rule fails.
 * @param {RuleInput} input
 * @returns {RuleVerdict}
 */
export function queryParamsInSelfLink({ requestUrl, fhirPathValue }) {
  const reqParts = javaSplit(javaUrlDecode(requestUrl), "?");
  const rawSelfLink = fhirPathValue("Bundle.link.where(relation = 'self').url");
  if (rawSelfLink === null) return { passed: false, message: "the response has no Bundle self link (the rule throws on it)" };
  const selfLink = javaUrlDecode(rawSelfLink);
  const reqParams = reqParts[1];
  if (reqParams === undefined) return { passed: false, message: "the request URL has no query (the rule throws on it: reqParts[1] is out of bounds)" };
  for (const reqParamFull of javaSplit(reqParams, "&")) {
    if (selfLink.includes(reqParamFull)) continue;
    const [reqParam = "null", reqVal = "null"] = javaSplit(reqParamFull, "="); // Groovy: a missing part is null, and `null =~ p` matches p against "null"
    const asReference = /^([A-Z][A-Za-z]+\/)?([A-Za-z0-9\-\.]{1,64})$/.exec(reqVal);
    const errorString = `The requested parameter ${reqParamFull} was absent from the self link`;
    if (!asReference) return { passed: false, message: errorString };
    if (asReference[1] === undefined) {
      // No resource type in the request: accept the self link having one.
      let pattern;
      try {
        pattern = new RegExp(`${reqParam}=[A-Z][A-Za-z]+/${asReference[2]}`);
      } catch (e) {
        return { passed: false, message: `${errorString} (the rule's pattern does not compile: ${/** @type {Error} */ (e).message})` };
      }
      if (!pattern.test(selfLink)) return { passed: false, message: errorString };
    } else if (!selfLink.includes(`${reqParam}=${asReference[2]}`)) {
      // A resource type in the request: accept the self link without it.
      return { passed: false, message: errorString };
    }
  }
  return { passed: true };
}

/** @type {Map<string, { name: string, evaluate: (input: RuleInput) => RuleVerdict }>} SHA-256 of the Groovy source -> port */
export const RULE_PORTS = new Map([
  ["11d6aa8d448e8a041136fa24de0a1383682a51695e16c033c1d9a97fa008d2db", { name: "assert_response_queryParamsInSelfLink.groovy", evaluate: queryParamsInSelfLink }],
]);

/**
 * java.net.URLDecoder.decode(s) with UTF-8: `+` is a space, runs of `%XX` are UTF-8 bytes (malformed sequences
 * become U+FFFD, as Java's decoder replaces them), and an incomplete or non-hex escape throws.
 * @param {string} s
 */
export function javaUrlDecode(s) {
  let out = "";
  let i = 0;
  while (i < s.length) {
    const c = s[i];
    if (c === "+") {
      out += " ";
      i++;
    } else if (c === "%") {
      /** @type {number[]} */
      const bytes = [];
      while (s[i] === "%") {
        if (i + 2 >= s.length) throw new Error("URLDecoder: Incomplete trailing escape (%) pattern");
        const hex = s.slice(i + 1, i + 3);
        if (!/^[0-9A-Fa-f]{2}$/.test(hex)) throw new Error("URLDecoder: Illegal hex characters in escape (%) pattern");
        bytes.push(parseInt(hex, 16));
        i += 3;
      }
      out += new TextDecoder().decode(new Uint8Array(bytes));
    } else {
      out += c;
      i++;
    }
  }
  return out;
}

/**
 * Java's String.split with a literal separator: trailing empty strings are dropped ("a=".split("=") is ["a"]).
 * @param {string} s
 * @param {string} separator
 */
function javaSplit(s, separator) {
  const parts = s.split(separator);
  while (parts.length > 1 && parts[parts.length - 1] === "") parts.pop();
  return parts.length === 1 && parts[0] === "" && s.length > 0 ? [] : parts;
}
