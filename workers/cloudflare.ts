/**
 * The Cloudflare side of the ports (workers/shared/ports.ts, issue 19): the Workers runtime's own bindings, as
 * @cloudflare/workers-types declares them, satisfy each port the workers are written against, and every worker
 * is a Workers handler of its Env. Types only; tsc reads this file (npm run typecheck), nothing imports it, and
 * Deno never loads it (its side is checked by `deno check`, package.json's check:deno).
 */
import type { GrantStore } from "../durable-objects/grant-store.ts";
import type digidSim from "./digid-sim/index.ts";
import type { Env as DigidSimEnv } from "./digid-sim/index.ts";
import type dvp from "./dvp/index.ts";
import type { Env as DvpEnv } from "./dvp/env.ts";
import type dvza from "./dvza/index.ts";
import type { Env as DvzaEnv } from "./dvza/env.ts";
import type registratie from "./registratie/index.ts";
import type { Env as RegistratieEnv } from "./registratie/index.ts";
import type { PeerTls } from "./shared/mtls.ts";
import type { CronEvent, KvStore, ObjectNamespace, ObjectStorage, ServiceBinding } from "./shared/ports.ts";

/** Compiles only when `Binding` is assignable to `Port`. */
type Satisfies<Port, Binding extends Port> = Binding;

export type CloudflareBindings = [
  Satisfies<KvStore, KVNamespace>,
  Satisfies<ObjectNamespace<GrantStore>, DurableObjectNamespace<GrantStore>>,
  Satisfies<ObjectStorage, DurableObjectStorage>,
  Satisfies<ServiceBinding, Fetcher>,
  Satisfies<CronEvent, ScheduledController>,
  Satisfies<PeerTls, IncomingRequestCfProperties>,
];

export type CloudflareHandlers = [
  Satisfies<ExportedHandler<DvzaEnv>, typeof dvza>,
  Satisfies<ExportedHandler<DvpEnv>, typeof dvp>,
  Satisfies<ExportedHandler<RegistratieEnv>, typeof registratie>,
  Satisfies<ExportedHandler<DigidSimEnv>, typeof digidSim>,
];
