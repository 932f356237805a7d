#!/usr/bin/env bash
# Self-hosting on Deno: the nginx configuration of the TLS terminator in front of workers/adapter/deno/serve.ts.
# Prints the configuration to stdout; the settings come from the environment:
#
#   LISTEN          address:port nginx listens on (443)
#   SERVER_NAMES    the node's hostnames, space-separated (a DVZA's DVZA_HOSTNAMES)
#   SERVER_CERT     PEM chain of the node's server certificate (PKIoverheid), SERVER_KEY its key
#   CLIENT_CA       PEM bundle of the CAs whose client certificates are accepted (S-2; MedMij: PKIoverheid)
#   CLIENT_CRL      PEM file with the current CRL of every CA in CLIENT_CA (PKIoverheid publishes them), kept fresh by
#                   scripts/deno/refresh-crl.sh (a systemd timer, docs/deno-layout.md). Required: without it a
#                   certificate its CA has revoked would still be accepted. nginx checks the whole chain against it
#                   (a CA without a CRL, or a CRL past its nextUpdate, fails every certificate: closed, not open).
#                   CLIENT_CRL=none turns revocation checking off, for a test CA that publishes no CRL only.
#   UPSTREAM        where the Deno server listens: 127.0.0.1:8787 (its TRUSTED_PROXIES then names 127.0.0.1), or
#                   unix:/run/medmij/dvza.sock (Deno's LISTEN_SOCKET; TRUSTED_PROXIES=unix; make the socket's
#                   directory accessible to nginx's user only)
#   PROXY_SECRET    the secret nginx adds to every request, Deno's PROXY_SECRET (X-7: without it Deno believes no
#                   verdict; an address alone proves nothing when other processes share the host). Or PROXY_SECRET_FILE.
#                   The generated configuration contains it: install it readable by root only (chmod 600).
#   PREFIX          directory for pid, temp files and logs (/var/lib/medmij-nginx)
#
# SPEC S-5: TLS 1.2 and 1.3 only, TLS 1.2 cipher suites rated "good" by the NCSC (2019) only: ECDHE with AES-GCM
# or ChaCha20-Poly1305 (the same list scripts/edge/configure-zone.sh sets on a Cloudflare zone).
# S-2: the client certificate is verified here against CLIENT_CA ("optional": the front channel, where browsers
# present none, runs on the same names). nginx answers a failed verification (expired, unknown CA, ...) with its
# own 400 page (internal status 495); instead the request goes on to Deno with the verdict "FAILED:<reason>" (a revoked
# certificate: "FAILED:certificate revoked", which Deno also reports as certRevoked), so
# the product answers every back-channel refusal alike with the bare 403 of W-2 and logs the reason on its side.
# The verdict and the verified subject DN and PEM travel in headers Deno believes only with the proxy secret and
# from the proxy's address (TRUSTED_PROXIES); the Whitelist (W-1) decides there. Every forwarded header a client
# sent is cleared here, so nothing a client writes reaches Deno as the proxy's word.
set -euo pipefail
: "${SERVER_CERT:?}" "${SERVER_KEY:?}" "${CLIENT_CA:?}"
: "${CLIENT_CRL:?set CLIENT_CRL to the CRLs of the client CAs, PEM, kept fresh by scripts/deno/refresh-crl.sh (or to none)}"
if [ "$CLIENT_CRL" != "none" ] && [ ! -r "$CLIENT_CRL" ]; then echo "CLIENT_CRL: cannot read $CLIENT_CRL" >&2; exit 2; fi
if [ -z "${PROXY_SECRET:-}" ] && [ -n "${PROXY_SECRET_FILE:-}" ]; then PROXY_SECRET="$(tr -d ' \n\r\t' < "$PROXY_SECRET_FILE")"; fi
: "${PROXY_SECRET:?set PROXY_SECRET (or PROXY_SECRET_FILE): openssl rand -hex 32}"
if ! [[ "$PROXY_SECRET" =~ ^[A-Za-z0-9_+/=.-]{32,}$ ]]; then echo "PROXY_SECRET: at least 32 characters of [A-Za-z0-9_+/=.-]" >&2; exit 2; fi
LISTEN="${LISTEN:-443}"
SERVER_NAMES="${SERVER_NAMES:-_}"
UPSTREAM="${UPSTREAM:-127.0.0.1:8787}"
PREFIX="${PREFIX:-/var/lib/medmij-nginx}"
NCSC_GOOD="ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-CHACHA20-POLY1305:ECDHE-RSA-AES128-GCM-SHA256"

cat <<CONF
worker_processes auto;
pid ${PREFIX}/nginx.pid;
error_log ${PREFIX}/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${PREFIX}/client_body;
  proxy_temp_path ${PREFIX}/proxy;
  fastcgi_temp_path ${PREFIX}/fastcgi;
  uwsgi_temp_path ${PREFIX}/uwsgi;
  scgi_temp_path ${PREFIX}/scgi;
  server_tokens off;
  client_max_body_size 8m;

  upstream medmij_deno {
    server ${UPSTREAM};
    keepalive 64;
  }

  server {
    listen ${LISTEN} ssl;
    server_name ${SERVER_NAMES};

    ssl_certificate ${SERVER_CERT};
    ssl_certificate_key ${SERVER_KEY};
    ssl_protocols TLSv1.2 TLSv1.3;
    ssl_ciphers ${NCSC_GOOD};
    ssl_prefer_server_ciphers on;
    ssl_session_tickets off;

    ssl_client_certificate ${CLIENT_CA};
    ssl_verify_client optional;
    ssl_verify_depth 4;
$( [ "$CLIENT_CRL" = "none" ] && echo "    # CLIENT_CRL=none: no revocation check (a test CA without a CRL)." || echo "    ssl_crl ${CLIENT_CRL};")
    error_page 495 = @unverified;

    proxy_http_version 1.1;
    proxy_set_header Connection "";
    proxy_set_header Host \$host;
    # X-7: the proof that a request came through here (replaces any value a client sent).
    proxy_set_header X-MedMij-Proxy-Secret "${PROXY_SECRET}";
    proxy_set_header X-Real-IP \$remote_addr;
    # Nothing a client sends may pass for this proxy's word: an empty value drops the header.
    proxy_set_header X-Forwarded-Host "";
    proxy_set_header X-Forwarded-For "";
    proxy_set_header X-Forwarded-Proto "";
    proxy_set_header X-Forwarded-Port "";
    proxy_set_header Forwarded "";
    proxy_set_header CF-Connecting-IP "";
    proxy_set_header X-Local-Network-Client-Cert "";
    proxy_set_header X-SSL-Client-Verify \$ssl_client_verify;
    proxy_set_header X-SSL-Client-S-DN \$ssl_client_s_dn;
    proxy_set_header X-SSL-Client-Cert \$ssl_client_escaped_cert;
    proxy_redirect off;
    proxy_buffering off;

    location / {
      proxy_pass http://medmij_deno;
    }

    # A certificate that failed verification: on to Deno with the verdict, which answers the bare 403 (W-2).
    location @unverified {
      proxy_pass http://medmij_deno;
    }
  }
}
CONF
