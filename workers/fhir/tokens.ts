/**
 * FHIR STU3 token search semantics (http://hl7.org/fhir/STU3/search.html#token), as pure functions: the
 * (system, code) pairs an element holds, and whether they match a token parameter value
 * (`system|code`, `|code` (no system), `system|` (any code in the system), `code` (any system)).
 * One place for the rule, used at write time (indexing) and on upstream answers (the AS-6 restriction).
 */
export interface TokenValue {
  /** undefined: the element has no system (a plain code, or a Coding without system). */
  readonly system: string | undefined;
  readonly code: string;
}

export interface TokenQuery {
  /** undefined: any system; "": no system; else this system. */
  readonly system: string | undefined;
  /** undefined: any code of the system (`system|`). */
  readonly code: string | undefined;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === "string" && v !== "" ? v : undefined);

/** The token values of one FHIRPath result: Coding, CodeableConcept, Identifier, ContactPoint, code, boolean, uri, id. */
export function tokenValues(value: unknown): TokenValue[] {
  if (typeof value === "string") return value === "" ? [] : [{ system: undefined, code: value }];
  if (typeof value === "boolean") return [{ system: undefined, code: String(value) }];
  if (!isObject(value)) return [];
  if (Array.isArray(value.coding)) return value.coding.flatMap(tokenValues);
  const code = str(value.code);
  if (code !== undefined) return [{ system: str(value.system), code }];
  // Identifier (system|value) and ContactPoint (system is a code there, matched as value).
  const v = str(value.value);
  if (v !== undefined) return [{ system: str(value.system), code: v }];
  return [];
}

/**
 * A token parameter value; undefined when it is empty. STU3 search §2.1.1.7: `\|` is a `|` inside the system or
 * code, not the separator (splitValues leaves it escaped for this). A `\\` before a bar was already undone by
 * splitValues; it would mean a system ending in a backslash, which no URI has.
 */
export function parseToken(text: string): TokenQuery | undefined {
  const bar = /(?<!\\)\|/.exec(text)?.index ?? -1;
  const unescape = (s: string) => s.replace(/\\\|/g, "|");
  if (bar < 0) return text === "" ? undefined : { system: undefined, code: unescape(text) };
  const system = unescape(text.slice(0, bar));
  const code = unescape(text.slice(bar + 1));
  if (system === "" && code === "") return undefined;
  return { system, code: code === "" ? undefined : code };
}

export function tokenMatches(values: readonly TokenValue[], q: TokenQuery): boolean {
  return values.some((v) => {
    if (q.system !== undefined && (q.system === "" ? v.system !== undefined : v.system !== q.system)) return false;
    return q.code === undefined || v.code === q.code;
  });
}

/**
 * Splits a parameter value on unescaped commas (OR), undoing `\,`, `\$` and `\\` (STU3 search §2.1.1.7). `\|` stays
 * escaped: only a token knows whether a bar is its separator (parseToken).
 */
export function splitValues(text: string): string[] {
  const out: string[] = [];
  let cur = "";
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (ch === "\\" && i + 1 < text.length && (text[i + 1] === "," || text[i + 1] === "\\" || text[i + 1] === "$")) {
      cur += text[++i];
    } else if (ch === ",") {
      out.push(cur);
      cur = "";
    } else cur += ch;
  }
  out.push(cur);
  return out;
}
