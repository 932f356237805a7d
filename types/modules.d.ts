// XSD files are imported as text: wrangler's Text rule in production, a small Vite plugin in tests
// (vitest.config.ts), esbuild's text loader in scripts/build.mjs. One import form everywhere.
declare module "*.xsd" {
  const text: string;
  export default text;
}
