export * from "./companions.ts";
export * from "./descriptor.ts";
export * from "./errors.ts";
export * from "./glob.ts";
export * from "./patch-repository.ts";
export * from "./slugify.ts";
export * from "./snapshot.ts";
