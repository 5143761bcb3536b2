/** Error codes of the env concept; tests and renderers import them. */
export const ENV_TRANSFORM_INVALID = "ENV_TRANSFORM_INVALID";
