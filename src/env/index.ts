export * from "./compose.ts";
export * from "./errors.ts";
export * from "./transform.ts";
