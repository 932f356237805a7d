import { isUuid } from "../shared/crypto.ts";

/** The caller's MedMij-Request-ID if it is a UUID (FACTS.md, LOG-3/LOG-4); anything else is not logged. */
export function medmijRequestId(request: Request): string | undefined {
  const id = request.headers.get("medmij-request-id");
  return id !== null && isUuid(id) ? id.toLowerCase() : undefined;
}
