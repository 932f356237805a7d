/** A setting checked once: its value, or the reason it cannot be used (for one log line; never a fallback). */
export type Configured<T> = { ok: true; value: T } | { ok: false; reason: string };
