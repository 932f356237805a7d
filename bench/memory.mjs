// The soak's memory verdict. The first minutes of a run are warm-up (JIT, heap sizing, caches and
// the Durable Objects' working sets filling up), so "flat" is judged on the second half: the mean RSS
// of the minute at the midpoint against the mean of the last minute. Growth within THRESHOLD counts
// as flat; a leak keeps growing through the second half and fails.
export const THRESHOLD = 0.1;

const mean = (xs) => xs.reduce((s, x) => s + x, 0) / Math.max(1, xs.length);

/** samples: [{ t (ms), workerdRss (bytes) }], in time order. */
export function memoryVerdict(samples, minutes) {
  const perMinute = Math.max(1, Math.floor(samples.length / Math.max(1, minutes)));
  const mid = Math.floor(samples.length / 2);
  const midMinute = samples.slice(Math.max(0, mid - Math.floor(perMinute / 2)), mid + Math.ceil(perMinute / 2)).map((s) => s.workerdRss);
  const lastMinute = samples.slice(-perMinute).map((s) => s.workerdRss);
  const growth = mean(lastMinute) / Math.max(1, mean(midMinute)) - 1;
  return { midMinuteMiB: mean(midMinute) / 2 ** 20, lastMinuteMiB: mean(lastMinute) / 2 ** 20, secondHalfGrowth: growth, flat: growth < THRESHOLD };
}
