// Placeholder: being written.
import { DurableObject } from "cloudflare:workers";
export class FhirStore extends DurableObject {}
