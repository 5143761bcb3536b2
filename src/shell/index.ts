export * from "./bash.ts";
export * from "./errors.ts";
export * from "./fish.ts";
export * from "./posix.ts";
export * from "./pwsh.ts";
export * from "./render.ts";
export * from "./zsh.ts";
