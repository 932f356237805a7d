/**
 * Namespaces that can only be used in the EU jurisdiction (SPEC X-5): any use other than
 * `.jurisdiction("eu")` throws, so a code path that reaches a Durable Object without placing it fails the
 * test. workerd implements no jurisdictions, so the placed namespace is the real one underneath.
 */
export function euOnly<N extends object>(real: N, name: string, seen: Map<string, string[]>): N {
  return new Proxy(real, {
    get(_target, prop) {
      if (prop === "jurisdiction") {
        return (j: string) => {
          seen.set(name, [...(seen.get(name) ?? []), j]);
          if (j !== "eu") throw new Error(`${name} placed in '${j}', not eu`);
          return real;
        };
      }
      throw new Error(`${name}.${String(prop)} used without a jurisdiction`);
    },
  });
}
