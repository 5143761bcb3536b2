/** Replaced at build time by scripts/build through `--define`. */
declare const OCX_VERSION: string | undefined;

export const VERSION: string = typeof OCX_VERSION === "string" ? OCX_VERSION : "0.1.0-dev";
