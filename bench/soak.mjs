// `npm run soak`: SOAK_MINUTES (default 10) of mixed traffic on 127.0.0.1 while every node's list
// refresh runs every SOAK_REFRESH_SECONDS (default 10) and half of Registratie's answers to the nodes
// are injected faults (503 or a body cut off mid-document). Checks:
//   - no errors in the traffic beyond the injected ones (the injected ones only hit list refreshes);
//   - the nodes never lose a list, and a Volgnummer in use never goes down (L-5, L-9);
//   - memory stays flat: workerd RSS over the second half of the run (bench/memory.mjs says why).
// Writes bench/soak.json; exits non-zero when a check fails.
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { HOSTS, startNetwork } from "../scripts/local-network.mjs";
import { fullFlow } from "./flow.mjs";
import { memoryVerdict } from "./memory.mjs";
import { request } from "./http.mjs";

const MINUTES = Number(process.env.SOAK_MINUTES ?? 10);
const REFRESH_S = Number(process.env.SOAK_REFRESH_SECONDS ?? 10);
const USERS = Number(process.env.SOAK_USERS ?? 10);
const FAULT_RATE = Number(process.env.SOAK_FAULT_RATE ?? 0.5);
const LISTS = ["Zorgaanbiederslijst", "Whitelist", "OAuthclientlist", "Gegevensdienstnamenlijst"];
const UNLIMITED = { ratePerSecond: 1e6, burst: 1e6 };

const net = await startNetwork({
  port: 0,
  faults: { [HOSTS.registratie]: FAULT_RATE },
  dvzaBindings: { RATE_LIMITS: JSON.stringify({ authorize: UNLIMITED, token: UNLIMITED, resource: UNLIMITED }) },
});
const nodes = net.layout.filter((w) => w.node).map((w) => w.name);
let end = Date.now() + MINUTES * 60_000;
const stats = { flows: 0, flowErrors: [], listReads: 0, listReadErrors: 0, refreshRounds: 0, refreshOutcomes: {}, listLost: [], volgnummerWentDown: [] };

/** RSS of the workerd that this soak's Miniflare started (a child of this process), not any other on the machine. */
function workerdRss() {
  try {
    const out = execFileSync("ps", ["-eo", "ppid=,rss=,comm="], { encoding: "utf8" });
    return out
      .split("\n")
      .map((l) => l.trim().split(/\s+/))
      .filter(([ppid, , comm]) => Number(ppid) === process.pid && /workerd/.test(comm ?? ""))
      .reduce((sum, [, rss]) => sum + Number(rss) * 1024, 0);
  } catch {
    return 0;
  }
}

const memory = [];
const sampler = setInterval(() => memory.push({ t: Date.now(), workerdRss: workerdRss(), nodeHeap: process.memoryUsage().heapUsed }), 10_000);

const inUse = new Map();
/** Returns how many (node, list) pairs are missing; only a list held before counts as lost. */
async function checkLists() {
  let missing = 0;
  for (const name of nodes) {
    const kv = await net.mf.getKVNamespace("LISTS", name);
    for (const kind of LISTS) {
      if (name.startsWith("dvp-") && kind === "OAuthclientlist") continue;
      const stored = await kv.get(`list/${kind}`, "json");
      const key = `${name}/${kind}`;
      if (!stored) {
        missing++;
        if (inUse.has(key)) stats.listLost.push({ node: name, kind, at: new Date().toISOString() });
        continue;
      }
      const v = BigInt(stored.list.volgnummer);
      if (inUse.has(key) && v < inUse.get(key)) stats.volgnummerWentDown.push({ node: name, kind, from: String(inUse.get(key)), to: String(v) });
      inUse.set(key, v);
      const status = await kv.get(`list-status/${kind}`, "json");
      if (status) stats.refreshOutcomes[status.result] = (stats.refreshOutcomes[status.result] ?? 0) + 1;
    }
  }
  return missing;
}

async function refresher() {
  while (Date.now() < end) {
    await net.refreshLists();
    stats.refreshRounds++;
    await checkLists();
    await new Promise((r) => setTimeout(r, REFRESH_S * 1000));
  }
}

async function user(u) {
  const bsns = ["999990019", "999990020", "999990032"];
  while (Date.now() < end) {
    try {
      await fullFlow(net.port, bsns[u % 3]);
      stats.flows++;
    } catch (e) {
      stats.flowErrors.push(e.message);
    }
    try {
      const r = await request(net.port, "127.0.0.1", "/MedMij_Zorgaanbiederslijst.xml?release=2");
      stats.listReads++;
      if (r.status !== 200) stats.listReadErrors++;
    } catch {
      stats.listReadErrors++;
    }
  }
}

// Warm-up: the faults are already on, so refresh until every node holds every list once.
for (let round = 0; (await checkLists()) > 0; round++) {
  if (round > 50) throw new Error("nodes could not obtain their lists during warm-up");
  await net.refreshLists();
}
stats.refreshOutcomes = {};
end = Date.now() + MINUTES * 60_000;
console.log(`Soak: ${MINUTES} min, ${USERS} users, refresh every ${REFRESH_S} s, ${FAULT_RATE * 100} % of Registratie answers to nodes faulty`);
const progress = setInterval(() => console.log(`  ${new Date().toISOString()} flows ${stats.flows} errors ${stats.flowErrors.length} refresh rounds ${stats.refreshRounds} outcomes ${JSON.stringify(stats.refreshOutcomes)}`), 60_000);
await Promise.all([refresher(), ...Array.from({ length: USERS }, (_, u) => user(u))]);
clearInterval(progress);
clearInterval(sampler);
await checkLists();

const window = Math.max(1, Math.floor(memory.length / MINUTES));
const avg = (xs, k) => xs.reduce((s, x) => s + x[k], 0) / Math.max(1, xs.length);
const first = memory.slice(0, window);
const last = memory.slice(-window);
const growth = {
  workerdRss: avg(last, "workerdRss") / Math.max(1, avg(first, "workerdRss")) - 1,
  nodeHeap: avg(last, "nodeHeap") / Math.max(1, avg(first, "nodeHeap")) - 1,
};
const checks = {
  noTrafficErrors: stats.flowErrors.length === 0 && stats.listReadErrors === 0,
  faultsWereInjected: (stats.refreshOutcomes.unreachable ?? 0) + (stats.refreshOutcomes.rejected ?? 0) > 0,
  listsNeverLost: stats.listLost.length === 0 && stats.volgnummerWentDown.length === 0,
  memoryFlat: memoryVerdict(memory, MINUTES).flat,
};
const result = { date: new Date().toISOString(), minutes: MINUTES, users: USERS, refreshSeconds: REFRESH_S, faultRate: FAULT_RATE, stats: { ...stats, flowErrors: stats.flowErrors.slice(0, 10), flowErrorCount: stats.flowErrors.length }, memory: { secondHalf: memoryVerdict(memory, MINUTES), samples: memory.map((m) => ({ t: new Date(m.t).toISOString(), workerdRssMiB: Math.round(m.workerdRss / 2 ** 20), nodeHeapMiB: Math.round(m.nodeHeap / 2 ** 20) })), firstMinute: { workerdRssMiB: avg(first, "workerdRss") / 2 ** 20, nodeHeapMiB: avg(first, "nodeHeap") / 2 ** 20 }, lastMinute: { workerdRssMiB: avg(last, "workerdRss") / 2 ** 20, nodeHeapMiB: avg(last, "nodeHeap") / 2 ** 20 }, growth }, checks };
writeFileSync(new URL("./soak.json", import.meta.url), JSON.stringify(result, null, 2) + "\n");
console.log(`\nflows ${stats.flows} (errors ${stats.flowErrors.length}), list reads ${stats.listReads} (errors ${stats.listReadErrors}), refresh rounds ${stats.refreshRounds}, outcomes ${JSON.stringify(stats.refreshOutcomes)}`);
console.log(`memory: workerd RSS ${result.memory.firstMinute.workerdRssMiB.toFixed(0)} -> ${result.memory.lastMinute.workerdRssMiB.toFixed(0)} MiB (${(growth.workerdRss * 100).toFixed(1)} %), Node heap ${result.memory.firstMinute.nodeHeapMiB.toFixed(0)} -> ${result.memory.lastMinute.nodeHeapMiB.toFixed(0)} MiB`);
const v = memoryVerdict(memory, MINUTES);
console.log(`memory, second half: ${v.midMinuteMiB.toFixed(0)} -> ${v.lastMinuteMiB.toFixed(0)} MiB (${(v.secondHalfGrowth * 100).toFixed(1)} %, flat below ${10} %)`);
console.log(`checks: ${JSON.stringify(checks)}`);
await net.dispose();
process.exit(Object.values(checks).every(Boolean) ? 0 : 1);
