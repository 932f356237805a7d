/**
 * The PGO's one script (SPEC X-9): the browser side of the passkey ceremonies, served same-origin from
 * /static/passkey.js (the pages' CSP allows no inline script and nothing from elsewhere). It turns the
 * server's JSON options into navigator.credentials calls and the credential back into JSON; every decision
 * is the server's. No DOM sinks that parse markup: messages are set as text.
 *
 * A form `data-passkey="create"` (a new passkey) or `"get"` (log in) posts JSON to its `action` for the
 * options, runs the ceremony, and posts the credential to its `data-finish`; a `csrf` field goes along as
 * X-CSRF-Token. Without JavaScript the form posts itself, and the server answers with a page saying why not.
 */
const SOURCE = String.raw`"use strict";
(function () {
  function toBytes(s) {
    var b64 = s.replace(/-/g, "+").replace(/_/g, "/");
    var bin = atob(b64 + "===".slice((b64.length + 3) % 4));
    var out = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out.buffer;
  }
  function toText(buf) {
    if (!buf) return undefined;
    var bytes = new Uint8Array(buf), bin = "";
    for (var i = 0; i < bytes.length; i++) bin += String.fromCharCode(bytes[i]);
    return btoa(bin).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }
  function descriptors(list) {
    return (list || []).map(function (c) { return { type: c.type, id: toBytes(c.id), transports: c.transports }; });
  }
  function creation(o) {
    var p = Object.assign({}, o, { challenge: toBytes(o.challenge), user: Object.assign({}, o.user, { id: toBytes(o.user.id) }), excludeCredentials: descriptors(o.excludeCredentials) });
    delete p.hints;
    return { publicKey: p };
  }
  function request(o) {
    var p = Object.assign({}, o, { challenge: toBytes(o.challenge), allowCredentials: descriptors(o.allowCredentials) });
    delete p.hints;
    return { publicKey: p };
  }
  function asJson(c) {
    var r = c.response, response = { clientDataJSON: toText(r.clientDataJSON) };
    if (r.attestationObject) {
      response.attestationObject = toText(r.attestationObject);
      response.transports = typeof r.getTransports === "function" ? r.getTransports() : [];
    } else {
      response.authenticatorData = toText(r.authenticatorData);
      response.signature = toText(r.signature);
      response.userHandle = toText(r.userHandle);
    }
    return { id: c.id, rawId: toText(c.rawId), type: c.type, response: response, authenticatorAttachment: c.authenticatorAttachment || undefined, clientExtensionResults: c.getClientExtensionResults() };
  }
  async function post(path, body, csrf) {
    var headers = { "content-type": "application/json", accept: "application/json" };
    if (csrf) headers["x-csrf-token"] = csrf;
    var res = await fetch(path, { method: "POST", headers: headers, body: JSON.stringify(body), credentials: "same-origin", redirect: "error" });
    var data = await res.json().catch(function () { return {}; });
    if (!res.ok) throw new Error(typeof data.error === "string" ? data.error : "Er ging iets mis. Probeer het opnieuw.");
    return data;
  }
  async function run(form, status) {
    var kind = form.getAttribute("data-passkey");
    var csrfField = form.querySelector("input[name=csrf]");
    var csrf = csrfField ? csrfField.value : undefined;
    var fields = {};
    form.querySelectorAll("input[name]:not([type=hidden])").forEach(function (i) { fields[i.name] = i.value; });
    var answer = await post(form.getAttribute("action"), fields, csrf);
    status.textContent = "Volg de aanwijzingen van uw browser of apparaat.";
    var credential;
    try {
      credential = kind === "create" ? await navigator.credentials.create(creation(answer.options)) : await navigator.credentials.get(request(answer.options));
    } catch (e) {
      throw new Error(e && e.name === "NotAllowedError" ? "Geannuleerd of niet gelukt. Probeer het opnieuw." : e && e.name === "InvalidStateError" ? "Deze passkey hoort al bij uw account." : "Uw apparaat kon geen passkey gebruiken.");
    }
    var done = await post(form.getAttribute("data-finish"), { credential: asJson(credential) }, csrf);
    status.textContent = "Gelukt.";
    window.location.assign(done.redirect);
  }
  document.querySelectorAll("form[data-passkey]").forEach(function (form) {
    var status = form.querySelector("[role=status]") || document.createElement("p");
    if (!window.PublicKeyCredential) {
      status.textContent = "Deze browser kan geen passkeys gebruiken.";
      return;
    }
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var button = form.querySelector("button");
      if (button) button.disabled = true;
      status.textContent = "Een moment...";
      run(form, status).catch(function (e) {
        status.textContent = e.message;
        if (button) button.disabled = false;
      });
    });
  });
})();
`;

/** The script, with headers as strict as the pages': never framed, never sniffed, same-origin only. */
export function passkeyScript(): Response {
  return new Response(SOURCE, {
    headers: {
      "content-type": "text/javascript; charset=utf-8",
      "cache-control": "no-cache",
      "x-content-type-options": "nosniff",
      "content-security-policy": "default-src 'none'; frame-ancestors 'none'",
      "cross-origin-resource-policy": "same-origin",
      "referrer-policy": "no-referrer",
      "strict-transport-security": "max-age=31536000; includeSubDomains",
    },
  });
}
