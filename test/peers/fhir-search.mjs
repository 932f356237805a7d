// FHIR STU3 search for the providers' own FHIR servers of the tests (test/peers/fhir-server.mjs), written apart
// from the product on purpose (SPEC X-4, G-6: upstream mode is proven against someone else's search): nothing is
// indexed, every query evaluates the SearchParameter's FHIRPath expression (HL7's STU3 definitions, read from the
// vendored JSON) over the resources in memory, with fhirpath.js. Deliberately plain: token (system|code, |code,
// code, comma OR), dates (eq/ne/gt/lt/ge/le on the value's own range), references (Type/id or id), strings
// (starts-with, case-insensitive), _id, identifier, _include two- and three-part, $lastn (most recent per code),
// HAPI-style paging (_count, _getpagesoffset).
import fhirpath from "fhirpath";
import stu3 from "fhirpath/fhir-context/stu3/index.js";
import { readFileSync } from "node:fs";

const definitions = JSON.parse(readFileSync(new URL("../../workers/fhir/definitions/stu3/search-parameters.json", import.meta.url), "utf8"));
/** type -> code -> { type, expression } (the part of a shared expression that is this type's) */
const PARAMS = new Map();
for (const { resource: sp } of definitions.entry) {
  if (!sp.expression) continue;
  for (const base of [].concat(sp.base)) {
    const parts = sp.expression.split(" | ").filter((p) => p.startsWith(`${base}.`) || p.startsWith("Resource."));
    if (parts.length === 0) continue;
    if (!PARAMS.has(base)) PARAMS.set(base, new Map());
    PARAMS.get(base).set(sp.code, { type: sp.type, expression: parts.join(" | ") });
  }
}
// Nictiz's MedicationDispense category (the BgZ query uses it).
PARAMS.get("MedicationDispense").set("category", { type: "token", expression: "MedicationDispense.category" });

const RESULT = new Set(["_count", "_getpagesoffset", "_include", "_format", "_sort", "max"]);

function param(type, code) {
  return PARAMS.get(type)?.get(code) ?? PARAMS.get("Resource")?.get(code) ?? PARAMS.get("DomainResource")?.get(code);
}

function values(resource, expression) {
  try {
    return fhirpath.evaluate(resource, expression, null, stu3);
  } catch {
    return [];
  }
}

function codings(v) {
  if (typeof v === "string" || typeof v === "boolean") return [{ code: String(v) }];
  if (!v || typeof v !== "object") return [];
  if (Array.isArray(v.coding)) return v.coding;
  if (v.code !== undefined) return [{ system: v.system, code: v.code }];
  if (v.value !== undefined) return [{ system: v.system, code: v.value }];
  return [];
}

function tokenMatch(v, wanted) {
  const bar = wanted.indexOf("|");
  const system = bar < 0 ? undefined : wanted.slice(0, bar);
  const code = bar < 0 ? wanted : wanted.slice(bar + 1);
  return codings(v).some((c) => (system === undefined || (system === "" ? !c.system : c.system === system)) && (code === "" || String(c.code) === code));
}

/** The interval a date value covers, in ms: [from, to). */
function span(text) {
  const m = /^(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?(?:T(\d{2}):(\d{2})(?::(\d{2}))?(?:\.\d+)?(Z|[+-]\d{2}:\d{2})?)?$/.exec(text);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s, z] = m;
  if (h === undefined) {
    const from = Date.UTC(+y, mo ? +mo - 1 : 0, d ? +d : 1);
    const to = d ? from + 86_400_000 : mo ? Date.UTC(+y, +mo, 1) : Date.UTC(+y + 1, 0, 1);
    return [from, to];
  }
  const from = Date.parse(`${y}-${mo}-${d}T${h}:${mi}:${s ?? "00"}${z ?? "Z"}`);
  return [from, from + (s === undefined ? 60_000 : 1000)];
}

function dateSpans(v) {
  if (typeof v === "string") return [span(v)].filter(Boolean);
  if (v && typeof v === "object" && (v.start || v.end)) return [[v.start ? span(v.start)?.[0] ?? -Infinity : -Infinity, v.end ? span(v.end)?.[1] ?? Infinity : Infinity]];
  return [];
}

function dateMatch(v, wanted) {
  const prefix = /^(eq|ne|gt|lt|ge|le|sa|eb)/.exec(wanted)?.[1] ?? "eq";
  const s = span(wanted.replace(/^(eq|ne|gt|lt|ge|le|sa|eb)/, ""));
  if (!s) return false;
  return dateSpans(v).some(([from, to]) => {
    switch (prefix) {
      case "eq": return from >= s[0] && to <= s[1];
      case "ne": return !(from >= s[0] && to <= s[1]);
      case "gt": case "sa": return to > s[1];
      case "lt": case "eb": return from < s[0];
      case "ge": return to > s[0];
      case "le": return from < s[1];
    }
    return false;
  });
}

function referenceMatch(v, wanted) {
  const ref = v?.reference;
  if (typeof ref !== "string") return false;
  const rel = ref.replace(/^https?:\/\/[^/]+\/[^/]+\//, "").replace(/\/_history\/.*$/, "");
  return rel === wanted || rel.split("/")[1] === wanted;
}

function matches(resource, type, code, value) {
  if (code === "_id") return value.split(",").includes(resource.id);
  const def = param(type, code);
  if (!def) return undefined;
  const found = values(resource, def.expression);
  return value.split(",").some((wanted) => {
    if (def.type === "token") return found.some((v) => tokenMatch(v, wanted));
    if (def.type === "date") return found.some((v) => dateMatch(v, wanted));
    if (def.type === "reference") return found.some((v) => referenceMatch(v, wanted));
    if (def.type === "string") return found.some((v) => typeof v === "string" && v.toLowerCase().startsWith(wanted.toLowerCase()));
    return found.some((v) => String(v) === wanted);
  });
}

function latest(resource) {
  return Math.max(...values(resource, "Observation.effective").flatMap(dateSpans).map(([, to]) => to), -Infinity);
}

/**
 * A search over `resources` (one type). `query`: the request's parameters as [name, value] pairs. Unknown
 * parameters make a 400 (as a strict server does), so a parameter the RS passes on is one this server applied.
 */
export function searchResources(all, type, query, { lastn = false } = {}) {
  let found = all.filter((r) => r.resourceType === type);
  for (const [name, value] of query) {
    if (RESULT.has(name)) continue;
    const ok = [];
    for (const r of found) {
      const m = matches(r, type, name, value);
      if (m === undefined) return { error: `unknown search parameter ${name}` };
      if (m) ok.push(r);
    }
    found = ok;
  }
  if (lastn) {
    const max = Number(query.find(([k]) => k === "max")?.[1] ?? 1);
    const groups = new Map();
    for (const r of found) {
      const key = (r.code?.coding ?? []).map((c) => `${c.system}|${c.code}`).sort().join(",");
      groups.set(key, [...(groups.get(key) ?? []), r]);
    }
    found = [...groups.values()].flatMap((g) => g.sort((a, b) => latest(b) - latest(a)).slice(0, max));
  }
  for (const [, inc] of query.filter(([k]) => k === "_include")) {
    const [source, code] = inc.split(":");
    if (!param(source, code)) return { error: `unknown _include ${inc}` };
  }
  return { found };
}

/** What `_include` brings along for these resources (a page of matches). */
export function includedResources(all, page, query) {
  const includes = [];
  for (const [, inc] of query.filter(([k]) => k === "_include")) {
    const [source, code, target] = inc.split(":");
    const def = param(source, code);
    for (const r of page) {
      for (const v of values(r, def.expression)) {
        const ref = typeof v?.reference === "string" ? v.reference.replace(/\/_history\/.*$/, "") : undefined;
        if (!ref || (target && !ref.startsWith(`${target}/`))) continue;
        const [t, id] = ref.split("/");
        const hit = all.find((x) => x.resourceType === t && x.id === id);
        if (hit && !includes.includes(hit) && !page.includes(hit)) includes.push(hit);
      }
    }
  }
  return includes;
}
