// Test fixture XSDs are imported as text by a small Vite plugin (vitest.config.ts). The product's XSDs
// are generated modules (scripts/gen-xsd-modules.mjs), the same on workerd and Deno.
declare module "*.xsd" {
  const text: string;
  export default text;
}
