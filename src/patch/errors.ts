/** Error codes of the patch concept; tests and renderers import them. */
export const PATCH_DESCRIPTOR_INVALID = "PATCH_DESCRIPTOR_INVALID";
export const PATCH_CONFIG_INVALID = "PATCH_CONFIG_INVALID";
export const PATCH_SNAPSHOT_INVALID = "PATCH_SNAPSHOT_INVALID";
export const PATCH_SNAPSHOT_INCOMPLETE = "PATCH_SNAPSHOT_INCOMPLETE";
