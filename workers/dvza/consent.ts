// Placeholder: being written (see README). Refuses everything until then.
import type { Context } from "hono";
export async function consentDecision(_c: Context): Promise<Response> {
  return new Response(null, { status: 501 });
}
