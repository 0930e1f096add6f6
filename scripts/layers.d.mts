// Types for scripts/layers.mjs (read by eslint.config.js as plain JS, and by the architecture test).
export declare const LAYERS: Record<string, string[]>;
