import { formatReference, parseReference, type Reference } from "../oci/reference.ts";
import type { PatchDescriptor } from "./descriptor.ts";
import { ruleMatches } from "./glob.ts";

export interface Companion {
  reference: string;
  required: boolean;
  /** The match pattern of the first rule that named this companion. */
  rule: string;
  /** The source name of the descriptor holding that rule. */
  source: string;
}

export interface DescriptorSource {
  source: string;
  descriptor: PatchDescriptor;
}

/**
 * Collects the companions of a reference. Descriptors apply in the given
 * order (the global one first), and within each every matching rule applies
 * in order. Package lists are joined and de-duplicated by normalized
 * reference, so `r/x` and `r/x:latest` count once; the first occurrence keeps
 * its position, rule and source. A companion is required when any rule naming
 * it is required, because patches fail closed: an optional later mention must
 * not weaken an earlier required one.
 */
export function companionsFor(
  descriptors: DescriptorSource[],
  reference: Reference,
): Companion[] {
  const companions = new Map<string, Companion>();
  for (const { source, descriptor } of descriptors) {
    for (const rule of descriptor.rules) {
      if (!ruleMatches(rule.match, reference)) continue;
      for (const packageReference of rule.packages) {
        const key = formatReference(parseReference(packageReference));
        const seen = companions.get(key);
        if (seen === undefined) {
          companions.set(key, {
            reference: packageReference,
            required: rule.required,
            rule: rule.match,
            source,
          });
        } else if (rule.required) {
          seen.required = true;
        }
      }
    }
  }
  return [...companions.values()];
}
