export interface ShellAssignment {
  key: string;
  value: string;
  /** Shown as a `# ...` line right after the assignment, e.g. `[patch: corp/ca:1]`. */
  comment?: string;
}

/** The variables to set, in order, then the ones to unset. */
export interface ShellScript {
  set: ShellAssignment[];
  unset: string[];
}

/**
 * Makes a comment one line by turning control characters into spaces, so a
 * newline in registry data cannot end the comment and start a command.
 */
export function commentLine(comment: string): string {
  return `# ${comment.replace(/[\u0000-\u001f\u007f]/g, " ")}`;
}
