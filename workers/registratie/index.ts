/**
 * MedMij Registratie: the versioned list interface (SPEC L-1, L-2, L-5).
 *
 *   GET /MedMij_<List>.xml?release=N   (or ?api=N)   the list in release N, from KV
 *   PUT /admin/lists/MedMij_<List>.xml               publish a new version (newest release; Bearer ADMIN_TOKEN)
 */
import { Hono } from "hono";
import { timingSafeEqualString } from "../shared/crypto.ts";
import { BodyTooLargeError, readTextCapped } from "../shared/http/body.ts";
import { RELEASES, findRelease, kindOfFileName } from "../shared/lists/catalogue.ts";
import { log } from "../shared/log.ts";
import { publish, servedRelease } from "./publication.ts";
import type { KvStore, WorkerHandler } from "../shared/ports.ts";

export interface Env {
  LISTS: KvStore;
  /** Secret (wrangler secret put ADMIN_TOKEN). Unset: publishing is disabled. */
  ADMIN_TOKEN?: string;
}

const MAX_PUBLISH_BYTES = 8 * 1024 * 1024;

function plain(status: number, text: string, extra: Record<string, string> = {}): Response {
  return new Response(`${text}\n`, {
    status,
    headers: { "content-type": "text/plain; charset=utf-8", "x-content-type-options": "nosniff", "cache-control": "no-store", ...extra },
  });
}

/** L-2: the release comes from `release` or its later name `api`; both present must agree. */
function requestedRelease(url: URL): { release: string } | { error: string } {
  const values = [...url.searchParams.getAll("release"), ...url.searchParams.getAll("api")];
  const distinct = [...new Set(values)];
  if (distinct.length === 0) return { error: "missing query parameter 'release' (or 'api')" };
  if (distinct.length > 1) return { error: "conflicting release parameters" };
  return { release: distinct[0]! };
}

const app = new Hono<{ Bindings: Env }>();

app.get("/:file{MedMij_[A-Za-z]+\\.xml}", async (c) => {
  const fileName = c.req.param("file");
  const kind = kindOfFileName(fileName);
  if (!kind) return plain(404, `unknown list ${fileName}`);
  const supported = RELEASES[kind].map((r) => r.release).join(", ");
  const asked = requestedRelease(new URL(c.req.url));
  if ("error" in asked) return plain(400, `${asked.error}; supported releases of ${fileName}: ${supported}`);
  const r = findRelease(kind, asked.release);
  if (!r) return plain(400, `unknown release '${asked.release}' of ${fileName}; supported releases: ${supported}`);

  const published = await servedRelease(c.env.LISTS, r);
  if (!published) return plain(503, `${fileName} release ${r.release} has not been published yet`, { "retry-after": "60" });

  const headers = {
    "content-type": "application/xml; charset=utf-8",
    etag: published.meta.etag,
    // Nodes poll every 5 minutes and revalidate with If-None-Match; a short shared cache absorbs bursts.
    "cache-control": "public, max-age=60, must-revalidate",
    "x-content-type-options": "nosniff",
    "x-medmij-volgnummer": published.meta.volgnummer,
    vary: "accept-encoding",
  };
  if (ifNoneMatch(c.req.header("if-none-match"), published.meta.etag)) return new Response(null, { status: 304, headers });
  return new Response(published.xml, { status: 200, headers });
});

/** RFC 9110 §13.1.2: weak comparison, list of entity tags or `*`. */
app.all("/:file{MedMij_[A-Za-z]+\\.xml}", () => plain(405, "method not allowed", { allow: "GET, HEAD" }));

function ifNoneMatch(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  if (header.trim() === "*") return true;
  return header.split(",").some((t) => t.trim().replace(/^W\//, "") === etag);
}

app.put("/admin/lists/:file", async (c) => {
  const expected = c.env.ADMIN_TOKEN;
  const presented = /^Bearer ([\x21-\x7e]+)$/.exec(c.req.header("authorization") ?? "")?.[1];
  if (!expected || !presented || !(await timingSafeEqualString(presented, expected))) {
    return plain(401, "unauthorized", { "www-authenticate": 'Bearer realm="registratie"' });
  }
  const fileName = c.req.param("file");
  const kind = kindOfFileName(fileName);
  if (!kind) return plain(404, `unknown list ${fileName}`);
  let xml: string;
  try {
    xml = await readTextCapped(c.req.raw, MAX_PUBLISH_BYTES);
  } catch (e) {
    if (e instanceof BodyTooLargeError) return plain(413, e.message);
    return plain(400, "body is not UTF-8 text");
  }
  const result = await publish(c.env.LISTS, kind, xml);
  log(result.ok ? "info" : "warn", "list.publish", { kind, ...result });
  if (!result.ok) return plain(result.status, result.reason);
  return c.json({ status: result.status, volgnummer: result.volgnummer, releases: result.releases }, result.status === "published" ? 201 : 200);
});

app.get("/", (c) =>
  c.json({
    lists: Object.entries(RELEASES).map(([kind, rs]) => ({ file: `MedMij_${kind}.xml`, releases: rs.map((r) => r.release) })),
  }),
);

app.notFound(() => plain(404, "not found"));
app.onError((err) => {
  log("error", "registratie.error", { message: err.message });
  return plain(500, "internal error");
});

export default app satisfies WorkerHandler<Env>;
