/** The comparison report: data contract, terminal table, SVG charts and the HTML page (docs/report.md). */
export * from "./format.ts";
export * from "./html.ts";
export * from "./stats.ts";
export * from "./svg.ts";
export * from "./table.ts";
export type * from "./types.ts";
export * from "./uncertainty/index.ts";
