// TestScript variables and Touchstone placeholders, `${name}` anywhere a TestScript allows a variable
// (operation params, url and request header values, assert values and expressions, fixture bodies).
//
// Resolution of `${name}`, first match wins:
// 1. the caller's override for `name` (the lead's real tokens for `patient-token-...`);
// 2. the script's variable `name`: with `expression` + `sourceId`, the expression's first result on that fixture
//    or on the latest response with that responseId, evaluated at each use (responses change); with
//    `defaultValue`, that value with its own placeholders expanded, once per run, so `X-Correlation-ID`
//    (default `${UUID}`) and `T` (default `${CURRENTDATE}`) stay the same throughout a run;
// 3. a Touchstone placeholder:
//    - `${UUID}`: a fresh random UUID at each use;
//    - `${CURRENTDATE}`: today, YYYY-MM-DD, optionally with `, <unit>, <offset>` pairs:
//      `${CURRENTDATE, d, -10}`;
//    - `${DATE, <variable>, <unit>, <offset>}`: the date in that variable (Nictiz: `T`) shifted by the offset,
//      YYYY-MM-DD. Spacing varies in Nictiz's scripts (`${DATE, T, D, -24}`, `${DATE, T, D,-730}`).
//    Units after Touchstone (Java SimpleDateFormat letters) and Nictiz's generator (Y, M, D): y/Y years, M months,
//    d/D days. Months and years clamp to the end of the month, as Java's Calendar.add does (31 Jan + 1 M = 28/29 Feb).
// Anything else is an error naming the variable: a script is never run with a placeholder left in it.

/** @typedef {import("./index.mjs").Variable} Variable */

const PLACEHOLDER = /\$\{([^}]*)\}/g;
const DATE_VALUE = /^(\d{4})-(\d{2})-(\d{2})$/;

/**
 * @typedef {object} VariableScopeOptions
 * @property {Variable[]} [definitions] the script's variables
 * @property {Record<string, string>} [overrides] values that win over the script's (by variable name)
 * @property {string} [today] YYYY-MM-DD; default the local date
 * @property {(variable: Variable) => string} [evaluate] resolves a variable with `expression` (and `sourceId`);
 *   throws when it cannot
 * @property {() => string} [uuid] default crypto.randomUUID
 */

/**
 * @param {VariableScopeOptions} options
 */
export function createVariableScope(options) {
  const definitions = new Map((options.definitions ?? []).map((v) => [v.name, v]));
  const overrides = options.overrides ?? {};
  const today = options.today ?? localDate(new Date());
  if (!DATE_VALUE.test(today)) throw new Error(`today must be YYYY-MM-DD, not ${today}`);
  const uuid = options.uuid ?? (() => crypto.randomUUID());
  /** @type {Map<string, string>} defaultValues once expanded */
  const expandedDefaults = new Map();
  /** @type {Set<string>} names being resolved, against cycles */
  const resolving = new Set();

  /**
   * @param {string} name
   * @returns {string}
   */
  function resolve(name) {
    if (Object.hasOwn(overrides, name)) return /** @type {string} */ (overrides[name]);
    const definition = definitions.get(name);
    if (definition) {
      if (resolving.has(name)) throw new Error(`variable ${name} refers to itself`);
      resolving.add(name);
      try {
        if (definition.expression !== undefined) return options.evaluate ? options.evaluate(definition) : fail(`variable ${name} needs a source to evaluate on`);
        if (definition.defaultValue !== undefined) {
          let value = expandedDefaults.get(name);
          if (value === undefined) {
            value = substitute(definition.defaultValue);
            expandedDefaults.set(name, value);
          }
          return value;
        }
        return fail(`variable ${name} has neither a defaultValue nor an expression`);
      } finally {
        resolving.delete(name);
      }
    }
    return placeholder(name);
  }

  /**
   * @param {string} body the text between `${` and `}`
   * @returns {string}
   */
  function placeholder(body) {
    const [head = "", ...args] = body.split(",").map((s) => s.trim());
    if (head === "UUID" && args.length === 0) return uuid();
    if (head === "CURRENTDATE") return shiftDate(today, args, body);
    if (head === "DATE" && args.length >= 1) {
      const base = resolve(/** @type {string} */ (args[0]));
      if (!DATE_VALUE.test(base)) throw new Error(`\${${body}}: variable ${args[0]} holds "${base}", not a YYYY-MM-DD date`);
      return shiftDate(base, args.slice(1), body);
    }
    return fail(`unknown variable or placeholder \${${body}}`);
  }

  /**
   * Replaces every `${...}` in `text`.
   * @param {string} text
   * @param {(value: string) => string} [escape] applied to each substituted value (for XML or JSON bodies)
   * @returns {string}
   */
  function substitute(text, escape = (v) => v) {
    return text.replace(PLACEHOLDER, (_, body) => escape(resolve(body)));
  }

  return { resolve, substitute };
}

/**
 * @param {string} date YYYY-MM-DD
 * @param {string[]} args unit/offset pairs
 * @param {string} body for error messages
 */
function shiftDate(date, args, body) {
  if (args.length % 2 !== 0) throw new Error(`\${${body}}: expected <unit>, <offset> pairs`);
  const [, y, m, d] = /** @type {RegExpExecArray} */ (DATE_VALUE.exec(date)).map(Number);
  let year = /** @type {number} */ (y), month = /** @type {number} */ (m), day = /** @type {number} */ (d);
  for (let i = 0; i < args.length; i += 2) {
    const unit = /** @type {string} */ (args[i]);
    const offsetText = /** @type {string} */ (args[i + 1]);
    if (!/^[+-]?\d+$/.test(offsetText)) throw new Error(`\${${body}}: offset "${offsetText}" is not an integer`);
    const offset = Number(offsetText);
    if (unit === "d" || unit === "D") {
      const shifted = new Date(Date.UTC(year, month - 1, day + offset));
      [year, month, day] = [shifted.getUTCFullYear(), shifted.getUTCMonth() + 1, shifted.getUTCDate()];
    } else if (unit === "M" || unit === "y" || unit === "Y") {
      const months = year * 12 + (month - 1) + (unit === "M" ? offset : offset * 12);
      year = Math.floor(months / 12);
      month = (months % 12) + 1;
      day = Math.min(day, new Date(Date.UTC(year, month, 0)).getUTCDate());
    } else {
      throw new Error(`\${${body}}: unit "${unit}" is not one of y, M, d (a date has no time units)`);
    }
  }
  return `${String(year).padStart(4, "0")}-${String(month).padStart(2, "0")}-${String(day).padStart(2, "0")}`;
}

/** @param {Date} now */
function localDate(now) {
  return `${now.getFullYear()}-${String(now.getMonth() + 1).padStart(2, "0")}-${String(now.getDate()).padStart(2, "0")}`;
}

/**
 * @param {string} message
 * @returns {never}
 */
function fail(message) {
  throw new Error(message);
}
