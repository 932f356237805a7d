/**
 * XML Schema regular expressions (XSD 1.0 Part 2, Appendix F) translated to JavaScript `u`-mode
 * regular expressions. XSD patterns are implicitly anchored and know no `^`/`$` anchors, so those
 * are literals; `.` excludes only LF and CR; `\d` is any Unicode decimal digit. Constructs this
 * project does not need (`\i`, `\c`, `\p{Is...}` block escapes, character-class subtraction) are
 * refused rather than approximated.
 */
import { XsdUnsupportedError } from "./model.ts";

const SINGLE_ESCAPES: Readonly<Record<string, string>> = {
  n: "\\n",
  r: "\\r",
  t: "\\t",
  "\\": "\\\\",
  "|": "\\|",
  ".": "\\.",
  "-": "\\-",
  "^": "\\^",
  "?": "\\?",
  "*": "\\*",
  "+": "\\+",
  "{": "\\{",
  "}": "\\}",
  "(": "\\(",
  ")": "\\)",
  "[": "\\[",
  "]": "\\]",
};

const SPACE = "\\x20\\t\\n\\r";

function escape(pattern: string, i: number, inClass: boolean): { js: string; next: number } {
  const c = pattern[i + 1];
  if (c === undefined) throw new XsdUnsupportedError(`pattern '${pattern}' ends with a lone '\\'`);
  if (c in SINGLE_ESCAPES) return { js: SINGLE_ESCAPES[c]!, next: i + 2 };
  // \p{Nd} and \s's members are valid both as atoms and inside a class in u-mode.
  if (c === "d") return { js: "\\p{Nd}", next: i + 2 };
  if (c === "D") return { js: "\\P{Nd}", next: i + 2 };
  if (c === "s") return { js: inClass ? SPACE : `[${SPACE}]`, next: i + 2 };
  if (c === "S" && !inClass) return { js: `[^${SPACE}]`, next: i + 2 };
  if (c === "w" && !inClass) return { js: "[^\\p{P}\\p{Z}\\p{C}]", next: i + 2 };
  if (c === "W" && !inClass) return { js: "[\\p{P}\\p{Z}\\p{C}]", next: i + 2 };
  if ((c === "p" || c === "P") && pattern[i + 2] === "{") {
    const end = pattern.indexOf("}", i + 3);
    const name = pattern.slice(i + 3, end);
    if (end < 0 || name.startsWith("Is")) throw new XsdUnsupportedError(`pattern '${pattern}': block escape \\${c}{${name}} is not supported`);
    return { js: `\\${c}{${name}}`, next: end + 1 };
  }
  throw new XsdUnsupportedError(`pattern '${pattern}': escape '\\${c}' is not supported`);
}

function charClass(pattern: string, start: number): { js: string; next: number } {
  let i = start + 1;
  let js = "[";
  if (pattern[i] === "^") {
    js += "^";
    i++;
  }
  let first = true;
  while (i < pattern.length) {
    const c = pattern[i]!;
    if (c === "]" && !first) return { js: js + "]", next: i + 1 };
    if (c === "[") throw new XsdUnsupportedError(`pattern '${pattern}': character-class subtraction or nesting is not supported`);
    if (c === "-" && pattern[i + 1] === "[") throw new XsdUnsupportedError(`pattern '${pattern}': character-class subtraction is not supported`);
    if (c === "\\") {
      const e = escape(pattern, i, true);
      js += e.js;
      i = e.next;
    } else {
      // In u-mode these must be escaped inside a class to mean themselves.
      js += c === "-" && (first || pattern[i + 1] === "]") ? "\\-" : /[\/{}()|]/.test(c) ? `\\${c}` : c;
      i++;
    }
    first = false;
  }
  throw new XsdUnsupportedError(`pattern '${pattern}': unterminated character class`);
}

/** Translate one XSD pattern; the result matches the whole value only. */
export function translatePattern(pattern: string): RegExp {
  let js = "";
  let i = 0;
  while (i < pattern.length) {
    const c = pattern[i]!;
    if (c === "\\") {
      const e = escape(pattern, i, false);
      js += e.js;
      i = e.next;
    } else if (c === "[") {
      const cls = charClass(pattern, i);
      js += cls.js;
      i = cls.next;
    } else if (c === ".") {
      js += "[^\\n\\r]";
      i++;
    } else if (c === "^" || c === "$" || c === "/") {
      js += `\\${c}`;
      i++;
    } else if (c === "(" && pattern[i + 1] === "?") {
      throw new XsdUnsupportedError(`pattern '${pattern}': '(?' is not XSD syntax`);
    } else {
      js += c;
      i++;
    }
  }
  try {
    return new RegExp(`^(?:${js})$`, "u");
  } catch (e) {
    throw new XsdUnsupportedError(`pattern '${pattern}' is not a valid regular expression: ${(e as Error).message}`);
  }
}
