export * from "./ocx-error.ts";
