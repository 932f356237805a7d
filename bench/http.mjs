// A minimal keep-alive HTTP/1.1 client for the benchmarks and the concurrency proof: talks to the
// local network on 127.0.0.1 with an explicit Host (Node's fetch refuses to set Host).
import http from "node:http";

export const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });

/** @returns {Promise<{ status: number, headers: http.IncomingHttpHeaders, body: string }>} */
export function request(port, host, path, { method = "GET", headers = {}, body } = {}) {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: "127.0.0.1", port, path, method, agent, headers: { host: `${host}:${port}`, ...headers, ...(body !== undefined ? { "content-length": Buffer.byteLength(body) } : {}) } },
      (res) => {
        const chunks = [];
        res.on("data", (c) => chunks.push(c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString("utf8") }));
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

/** Cookies per host for browser-like flows. */
export class Jar {
  #jar = new Map();
  header(host) {
    const m = this.#jar.get(host);
    return m && m.size ? { cookie: [...m].map(([k, v]) => `${k}=${v}`).join("; ") } : {};
  }
  take(host, res) {
    const set = res.headers["set-cookie"] ?? [];
    const m = this.#jar.get(host) ?? new Map();
    this.#jar.set(host, m);
    for (const line of set) {
      const [pair, ...attrs] = line.split(";");
      const eq = pair.indexOf("=");
      if (attrs.some((a) => /^\s*max-age=0\s*$/i.test(a))) m.delete(pair.slice(0, eq).trim());
      else m.set(pair.slice(0, eq).trim(), pair.slice(eq + 1).trim());
    }
  }
}

export function percentile(sorted, p) {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/**
 * `users` closed loops for `seconds`, each running `once(u)` again as soon as it settles; `once` answers the HTTP
 * requests it made and throws (an Error with the reason) when the run failed. What the bench reports: runs/s over
 * the whole time (runs started before the end complete), p50/p99 of the successful ones in ms, errors (the first
 * three said) and HTTP requests per second.
 */
export async function closedLoop(users, seconds, once) {
  const latencies = [];
  let errors = 0;
  let httpRequests = 0;
  const firstErrors = [];
  const start = performance.now();
  const end = Date.now() + seconds * 1000;
  await Promise.all(
    Array.from({ length: users }, async (_, u) => {
      while (Date.now() < end) {
        const t0 = performance.now();
        try {
          // Not `httpRequests += await …`: that reads the sum before the await, and the loops would overwrite each other.
          const made = await once(u);
          httpRequests += made;
          latencies.push(performance.now() - t0);
        } catch (e) {
          errors++;
          if (firstErrors.length < 3) firstErrors.push(e.message);
          if (e.requests) httpRequests += e.requests;
        }
      }
    }),
  );
  const elapsed = (performance.now() - start) / 1000;
  latencies.sort((a, b) => a - b);
  return { rps: latencies.length / elapsed, runs: latencies.length, httpRequestsPerSecond: httpRequests / elapsed, p50: Math.round(percentile(latencies, 50)), p99: Math.round(percentile(latencies, 99)), requests: latencies.length, errors, non2xx: 0, ...(firstErrors.length ? { firstErrors } : {}) };
}
