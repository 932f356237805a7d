// Shared by the engine's own tests: crafted TestScripts in a temporary directory, and a fake transport.
import { mkdtempSync, mkdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";

export const NICTIZ = new URL("../fixtures/nictiz/", import.meta.url).pathname;

/** A temporary directory with the given files (path -> content). */
export function tempFiles(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), "testscript-"));
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), content);
  }
  return dir;
}

/** A TestScript document around `body` (its elements in FHIR order). */
export function testScript(body: string, id = "crafted"): string {
  return `<TestScript xmlns="http://hl7.org/fhir"><id value="${id}"/><name value="${id}"/><status value="active"/>${body}</TestScript>`;
}

/** One test with these actions. */
export function oneTest(actions: string, id = "t1"): string {
  return `<test id="${id}"><name value="${id}"/>${actions}</test>`;
}

export function searchOperation(resource: string, params: string, extra = ""): string {
  return `<action><operation><type><system value="http://hl7.org/fhir/restful-interaction"/><code value="search"/></type>` +
    `<resource value="${resource}"/><accept value="json"/><encodeRequestUrl value="true"/><params value="${params}"/>${extra}</operation></action>`;
}

export function assertAction(elements: string): string {
  return `<action><assert>${elements}</assert></action>`;
}

export interface SeenRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  body?: string;
}

type Answer = { status?: number; contentType?: string; body?: unknown; headers?: Record<string, string> };

/**
 * A fetch that answers from `answer(request)`: an object body is sent as FHIR JSON, a string as is.
 * Every request is recorded in `seen`.
 */
export function fakeFetch(answer: (request: SeenRequest) => Answer) {
  const seen: SeenRequest[] = [];
  const fetch = async (url: string, init: { method: string; headers: Record<string, string>; body?: string }) => {
    const request: SeenRequest = { method: init.method, url, headers: { ...init.headers }, ...(init.body !== undefined && { body: init.body }) };
    seen.push(request);
    const a = answer(request);
    const body = typeof a.body === "string" || a.body instanceof Uint8Array ? a.body : a.body === undefined ? null : JSON.stringify(a.body);
    const contentType = a.contentType ?? (typeof a.body === "object" && !(a.body instanceof Uint8Array) ? "application/fhir+json" : undefined);
    return new Response(body, { status: a.status ?? 200, headers: { ...(contentType && { "content-type": contentType }), ...a.headers } });
  };
  return { fetch, seen };
}

/** A searchset Bundle of these resources, with a self link. */
export function searchset(selfUrl: string, resources: Record<string, unknown>[], base = "https://fhir.example/fhir"): Record<string, unknown> {
  return {
    resourceType: "Bundle",
    type: "searchset",
    total: resources.length,
    link: [{ relation: "self", url: selfUrl }],
    entry: resources.map((r) => ({ fullUrl: `${base}/${String(r.resourceType)}/${String(r.id)}`, resource: r, search: { mode: "match" } })),
  };
}
