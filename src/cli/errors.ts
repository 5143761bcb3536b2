export const CLI_USAGE = "CLI_USAGE";
