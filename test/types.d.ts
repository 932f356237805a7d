declare module "*?raw" {
  const text: string;
  export default text;
}

// Vite's import.meta.glob, used by test helpers to load fixture files as text.
interface ImportMeta {
  glob(pattern: string, options: { query: "?raw"; import: "default"; eager: true }): Record<string, unknown>;
}
