/**
 * A line chart drawn on the server as inline SVG: no script, no external resource, no style attribute (the page's
 * CSP allows neither), only presentation attributes. Time on the x axis with Dutch dates, values on the y axis
 * with the unit, one line per series (blood pressure: systolic and diastolic), told apart by line pattern and
 * marker as well as colour. The chart is `role="img"` with a title and a description that say what it shows; the
 * values themselves are in the table the caller puts beside it. Every interpolated value goes through `h`.
 */
import { type Html, h } from "../../shared/html/page.ts";
import { TIME_ZONE } from "./fhir-read.ts";

export interface ChartPoint {
  /** Milliseconds since the epoch. */
  readonly t: number;
  readonly v: number;
  /** What the point says, for its tooltip: "7 feb 2013, 07:53: 108 mmHg". */
  readonly label: string;
}

export interface ChartSeries {
  readonly name: string;
  readonly points: readonly ChartPoint[];
}

export interface ChartSpec {
  /** Unique on the page: the title's and description's ids derive from it. */
  readonly id: string;
  readonly title: string;
  readonly unit: string;
  readonly series: readonly ChartSeries[];
}

const W = 640;
const H = 300;
const LEFT = 64;
const RIGHT = 20;
const BOTTOM = 56;
const DAY = 86_400_000;

const STYLES = [
  { stroke: "#154273", dash: undefined, fill: "#154273" },
  { stroke: "#a0441b", dash: "6 4", fill: "#ffffff" },
  { stroke: "#2a7a3b", dash: "2 3", fill: "#2a7a3b" },
] as const;

const dateShort = new Intl.DateTimeFormat("nl-NL", { day: "numeric", month: "short", year: "numeric", timeZone: TIME_ZONE });
const dateTime = new Intl.DateTimeFormat("nl-NL", { day: "numeric", month: "short", hour: "2-digit", minute: "2-digit", timeZone: TIME_ZONE });
const monthYear = new Intl.DateTimeFormat("nl-NL", { month: "short", year: "numeric", timeZone: TIME_ZONE });

/** A value with a decimal comma and at most `digits` decimals. */
export function nl(v: number, digits = 2): string {
  return new Intl.NumberFormat("nl-NL", { maximumFractionDigits: digits, useGrouping: false }).format(v);
}

/** Round ticks covering [min, max]: steps of 1, 2, 2.5 or 5 times a power of ten. */
export function niceTicks(min: number, max: number, count = 5): { readonly ticks: number[]; readonly digits: number } {
  if (min === max) {
    const pad = Math.abs(min) > 10 ? Math.abs(min) * 0.1 : 1;
    min -= pad;
    max += pad;
  }
  const raw = (max - min) / (count - 1);
  let mag = 10 ** Math.floor(Math.log10(raw));
  let m = [1, 2, 2.5, 5, 10].find((f) => f * mag >= raw) ?? 10;
  if (m === 10) {
    mag *= 10;
    m = 1;
  }
  const step = m * mag;
  const lo = Math.floor(min / step) * step;
  const hi = Math.ceil(max / step) * step;
  const digits = Math.max(0, -Math.floor(Math.log10(mag) + 1e-9)) + (m === 2.5 ? 1 : 0);
  const ticks: number[] = [];
  for (let v = lo; v <= hi + step / 1e6; v += step) ticks.push(Number(v.toFixed(Math.min(10, digits + 2))));
  return { ticks, digits };
}

/** The chart; an empty Html when no series has a point. */
export function lineChart(spec: ChartSpec): Html {
  const series = spec.series.map((s) => ({ ...s, points: s.points.filter((p) => Number.isFinite(p.t) && Number.isFinite(p.v)).sort((a, b) => a.t - b.t) })).filter((s) => s.points.length > 0);
  const all = series.flatMap((s) => s.points);
  if (all.length === 0) return h``;
  const top = series.length > 1 ? 48 : 24;
  const plotW = W - LEFT - RIGHT;
  const plotH = H - top - BOTTOM;

  const tMin = Math.min(...all.map((p) => p.t));
  const tMax = Math.max(...all.map((p) => p.t));
  // One moment: a day either side; else 4 % of the span, so no point sits on an axis.
  const pad = tMin === tMax ? DAY : (tMax - tMin) * 0.04;
  const t0 = tMin - pad;
  const t1 = tMax + pad;
  const { ticks: yTicks, digits } = niceTicks(Math.min(...all.map((p) => p.v)), Math.max(...all.map((p) => p.v)));
  const v0 = yTicks[0]!;
  const v1 = yTicks[yTicks.length - 1]!;
  const x = (t: number) => Number((LEFT + ((t - t0) / (t1 - t0)) * plotW).toFixed(1));
  const y = (v: number) => Number((top + plotH - ((v - v0) / (v1 - v0 || 1)) * plotH).toFixed(1));

  const span = tMax - tMin;
  const xTicks = span === 0 ? [tMin] : Array.from({ length: 5 }, (_, i) => tMin + (span * i) / 4);
  const xLabel = (t: number) => (span === 0 ? dateShort : span < 2 * DAY ? dateTime : span > 730 * DAY ? monthYear : dateShort).format(t);

  const grid = yTicks.map(
    (v) => h`<line x1="${LEFT}" x2="${W - RIGHT}" y1="${y(v)}" y2="${y(v)}" stroke="#d8dde3" stroke-width="1"/><text x="${LEFT - 8}" y="${y(v) + 4}" text-anchor="end" font-size="12" fill="#1b1f24">${nl(v, digits)}</text>`,
  );
  const xAxis = xTicks.map(
    (t) => h`<line x1="${x(t)}" x2="${x(t)}" y1="${top + plotH}" y2="${top + plotH + 5}" stroke="#1b1f24"/><text x="${x(t)}" y="${top + plotH + 20}" text-anchor="middle" font-size="12" fill="#1b1f24">${xLabel(t)}</text>`,
  );
  const lines = series.map((s, i) => {
    const st = STYLES[i % STYLES.length]!;
    const pts = s.points.map((p) => `${x(p.t)},${y(p.v)}`).join(" ");
    return h`<g class="reeks">${s.points.length > 1 ? h`<polyline points="${pts}" fill="none" stroke="${st.stroke}" stroke-width="2"${st.dash ? h` stroke-dasharray="${st.dash}"` : h``}/>` : h``}
${s.points.map((p) => h`<circle class="punt" cx="${x(p.t)}" cy="${y(p.v)}" r="4" fill="${st.fill}" stroke="${st.stroke}" stroke-width="2"><title>${s.name}: ${p.label}</title></circle>`)}</g>`;
  });
  const legend =
    series.length > 1
      ? h`<g class="legenda">${series.map((s, i) => {
          const st = STYLES[i % STYLES.length]!;
          const lx = LEFT + i * 220;
          return h`<line x1="${lx}" x2="${lx + 28}" y1="16" y2="16" stroke="${st.stroke}" stroke-width="2"${st.dash ? h` stroke-dasharray="${st.dash}"` : h``}/><circle cx="${lx + 14}" cy="16" r="4" fill="${st.fill}" stroke="${st.stroke}" stroke-width="2"/><text x="${lx + 36}" y="20" font-size="12" fill="#1b1f24">${s.name}</text>`;
        })}</g>`
      : h``;

  const first = dateShort.format(all.reduce((a, b) => (a.t < b.t ? a : b)).t);
  const last = dateShort.format(all.reduce((a, b) => (a.t > b.t ? a : b)).t);
  const count = Math.max(...series.map((s) => s.points.length));
  const summary = series
    .map((s) => {
      const vs = s.points.map((p) => p.v);
      const latest = s.points[s.points.length - 1]!;
      return `${s.name}: laagste ${nl(Math.min(...vs))}, hoogste ${nl(Math.max(...vs))}, laatste ${nl(latest.v)} ${spec.unit}`;
    })
    .join("; ");
  const desc = `${count === 1 ? "1 meting" : `${count} metingen`} ${first === last ? `op ${first}` : `van ${first} tot en met ${last}`}. ${summary}. De waarden staan ook in de tabel.`;

  return h`<svg class="grafiek" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-labelledby="${spec.id}-titel ${spec.id}-beschrijving" focusable="false">
<title id="${spec.id}-titel">${spec.title} (${spec.unit}) in de tijd</title>
<desc id="${spec.id}-beschrijving">${desc}</desc>
${legend}
<g class="as">${grid}
<line x1="${LEFT}" x2="${LEFT}" y1="${top}" y2="${top + plotH}" stroke="#1b1f24"/>
<line x1="${LEFT}" x2="${W - RIGHT}" y1="${top + plotH}" y2="${top + plotH}" stroke="#1b1f24"/>
${xAxis}
<text x="${LEFT + plotW / 2}" y="${H - 8}" text-anchor="middle" font-size="12" fill="#1b1f24">Datum</text>
<text x="14" y="${top + plotH / 2}" text-anchor="middle" font-size="12" fill="#1b1f24" transform="rotate(-90 14 ${top + plotH / 2})">${spec.unit}</text></g>
${lines}
</svg>`;
}
