export * from "./graph.ts";
export * from "./kahn.ts";
