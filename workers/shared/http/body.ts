/**
 * Bounded body reading: an oversized body is refused without buffering it whole.
 */
export class BodyTooLargeError extends Error {
  override readonly name = "BodyTooLargeError";
  constructor(readonly limit: number) {
    super(`body exceeds ${limit} bytes`);
  }
}

export async function readBytesCapped(body: ReadableStream<Uint8Array> | null, limit: number): Promise<Uint8Array<ArrayBuffer>> {
  if (!body) return new Uint8Array(0);
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.byteLength;
      if (total > limit) throw new BodyTooLargeError(limit);
      chunks.push(value);
    }
  } catch (e) {
    await reader.cancel().catch(() => {});
    throw e;
  }
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out;
}

/** UTF-8 text, fatal on invalid sequences: the lists and FHIR bodies are UTF-8 by definition. */
export async function readTextCapped(message: Request | Response, limit: number): Promise<string> {
  const declared = Number(message.headers.get("content-length") ?? "NaN");
  if (declared > limit) throw new BodyTooLargeError(limit);
  const bytes = await readBytesCapped(message.body, limit);
  return new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(bytes);
}
