export * from "./kahn.ts";
