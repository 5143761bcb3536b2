/** Error codes of the patch concept; tests and renderers import them. */
export const PATCH_DESCRIPTOR_INVALID = "PATCH_DESCRIPTOR_INVALID";
export const PATCH_CONFIG_INVALID = "PATCH_CONFIG_INVALID";
