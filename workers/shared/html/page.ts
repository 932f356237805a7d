/**
 * Server-rendered HTML with the project's security headers (S-3, S-4 and the card's rule: strict
 * headers on HTML). Every value goes through `h` (escaping) or `raw` (trusted markup built here).
 * No inline script ever; the only inline style carries a per-response nonce. A page may load one same-origin
 * script file (`script`, the PGO's passkey ceremonies, X-9): then, and only then, the CSP allows `'self'` for
 * scripts and for their fetches, with Trusted Types required.
 */
import { base64url } from "../crypto.ts";

export class Html {
  constructor(readonly markup: string) {}
  toString(): string {
    return this.markup;
  }
}

const ESC: Readonly<Record<string, string>> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ESC[c]!);
}

/** Tagged template: interpolated strings are escaped, Html values are inserted as they are. */
export function h(strings: TemplateStringsArray, ...values: (string | number | Html | readonly Html[] | undefined | null | false)[]): Html {
  let out = strings[0]!;
  values.forEach((v, i) => {
    if (v instanceof Html) out += v.markup;
    else if (Array.isArray(v)) out += v.map((x: Html) => x.markup).join("");
    else if (v !== undefined && v !== null && v !== false) out += escapeHtml(String(v));
    out += strings[i + 1]!;
  });
  return new Html(out);
}

const STYLE = `
:root{color-scheme:light;font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;line-height:1.5}
body{margin:0;background:#f4f6f8;color:#1b1f24}
header{background:#154273;color:#fff;padding:.75rem 1.5rem}
header p{margin:0;font-weight:600}
main{max-width:40rem;margin:2rem auto;background:#fff;padding:1.5rem 2rem;border-radius:6px;box-shadow:0 1px 3px rgba(0,0,0,.15)}
h1{font-size:1.4rem;margin-top:0}
.consent{font-size:1.05rem;border-left:4px solid #154273;padding:.5rem 1rem;background:#eef3f8}
.actions{display:flex;gap:1rem;margin-top:1.5rem;flex-wrap:wrap}
button{font:inherit;padding:.6rem 1.4rem;border-radius:4px;border:2px solid #154273;cursor:pointer}
button.primary{background:#154273;color:#fff}
button.secondary{background:#fff;color:#154273}
button:focus-visible,a:focus-visible,input:focus-visible,select:focus-visible{outline:3px solid #ffb612;outline-offset:2px}
.error{border-left:4px solid #d52b1e;padding:.5rem 1rem;background:#fdecea}
.dev{background:#ffb612;color:#000;padding:.25rem .5rem;font-weight:700;display:inline-block}
label{display:block;margin:.75rem 0 .25rem;font-weight:600}
input,select{font:inherit;padding:.4rem;width:100%;box-sizing:border-box}
table{border-collapse:collapse;width:100%;table-layout:fixed}td,th{border-bottom:1px solid #ddd;padding:.3rem;text-align:left;vertical-align:top;overflow-wrap:anywhere}
main:has(.breed){max-width:72rem}main:has(.middel){max-width:60rem}
.sr-only{position:absolute;width:1px;height:1px;padding:0;margin:-1px;overflow:hidden;clip:rect(0,0,0,0);white-space:nowrap;border:0}
.scroll{overflow-x:auto;margin-bottom:1rem}
table.data{table-layout:auto}table.data th,table.data td{overflow-wrap:break-word}table.data thead th{border-bottom:2px solid #154273}
table.verzoeken td{overflow-wrap:anywhere}
.breed section{margin-top:1.5rem}
.bron,.klein{color:#4a535c;font-size:.9rem}
.afwijkend{color:#a4161a}
svg.grafiek{display:block;max-width:100%;height:auto}
.grafiek-en-tabel{display:grid;gap:1rem}
@media (min-width:70rem){.grafiek-en-tabel{grid-template-columns:minmax(0,3fr) minmax(0,2fr);align-items:start}}
dl.fields{display:grid;grid-template-columns:max-content 1fr;gap:.25rem 1rem}dl.fields dt{font-weight:600}dl.fields dd{margin:0}
ul.plain{list-style:none;padding:0;margin:0}
nav ul{display:flex;flex-wrap:wrap;gap:.5rem 1.25rem;list-style:none;padding:0}
a[aria-current=page]{font-weight:700}
fieldset{border:1px solid #ccd3da;border-radius:4px;margin:1rem 0;padding:.5rem 1rem 1rem}
input[type=checkbox]{width:auto;margin:0}
.keuze{display:flex;gap:.5rem;align-items:baseline}.keuze label{display:inline;font-weight:400;margin:.2rem 0}
.nw{white-space:nowrap}
.invoer-lijst{display:grid;grid-template-columns:repeat(auto-fit,minmax(18rem,1fr));gap:0 1.5rem;align-items:start}
a.knop{display:inline-block;padding:.6rem 1.4rem;border:2px solid #154273;border-radius:4px;color:#154273;font-weight:600;text-decoration:none}
`;

export interface PageOptions {
  readonly title: string;
  readonly heading: string;
  readonly body: Html;
  readonly status?: number;
  /** Origins a form on this page may submit to, or be redirected to after submitting (CSP form-action). */
  readonly formTargets?: readonly string[];
  readonly banner?: string;
  readonly headers?: Record<string, string>;
  /** A same-origin script path (e.g. /static/passkey.js), loaded deferred. */
  readonly script?: string;
}

export function page(o: PageOptions): Response {
  const nonce = base64url(crypto.getRandomValues(new Uint8Array(16)));
  const doc = h`<!doctype html>
<html lang="nl">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${o.title}</title>
<style nonce="${nonce}">${new Html(STYLE)}</style>
${o.script ? h`<script src="${o.script}" defer></script>` : h``}
</head>
<body>
<header><p>${o.banner ?? "MedMij"}</p></header>
<main>
<h1>${o.heading}</h1>
${o.body}
</main>
</body>
</html>
`;
  const formAction = ["'self'", ...(o.formTargets ?? [])].join(" ");
  return new Response(doc.markup, {
    status: o.status ?? 200,
    headers: {
      "content-type": "text/html; charset=utf-8",
      "content-security-policy": `default-src 'none'; style-src 'nonce-${nonce}'; img-src 'self'; ${o.script ? "script-src 'self'; connect-src 'self'; require-trusted-types-for 'script'; " : ""}form-action ${formAction}; frame-ancestors 'none'; base-uri 'none'`,
      "x-frame-options": "DENY",
      "referrer-policy": "no-referrer",
      "x-content-type-options": "nosniff",
      "cache-control": "no-store",
      "strict-transport-security": "max-age=31536000; includeSubDomains",
      "permissions-policy": "camera=(), microphone=(), geolocation=(), payment=(), usb=(), interest-cohort=()",
      "cross-origin-opener-policy": "same-origin",
      "cross-origin-resource-policy": "same-origin",
      ...o.headers,
    },
  });
}

/** An error shown to the Person (never sent to a client's redirect_uri: AS-16). */
export function errorPage(status: number, heading: string, message: string, extra: Record<string, string> = {}): Response {
  return page({
    title: heading,
    heading,
    status,
    body: h`<div class="error" role="alert"><p>${message}</p></div><p>U kunt dit venster sluiten en het opnieuw proberen vanuit uw persoonlijke gezondheidsomgeving.</p>`,
    headers: extra,
  });
}
