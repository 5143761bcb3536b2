import type { CAC } from "cac";
import { parseReference } from "../../oci/reference.ts";
import { composeProjectEnv } from "../../resolve/project-env.ts";
import { explainVariable, type VariableExplanation, type VariableStep } from "../../resolve/explain-variable.ts";
import { usageError } from "../arguments.ts";
import type { CommandRunner } from "../context.ts";

export function registerWhy(cli: CAC, run: CommandRunner): void {
  cli
    .command("why <variable> [...references]", "Explain which packages, patches and plugins set a variable")
    .usage("why VAR [REF...] [--json]   (no REF: the trusted project's [tools] and [env])")
    .example("ocx why SSL_CERT_FILE localhost:5000/tools/node:22")
    .action(
      run(async (ctx, variable: string, references: string[]) => {
        if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(variable)) {
          throw usageError(`invalid variable name "${variable}"`, "name the variable first, then the packages: ocx why PATH REF...");
        }
        const session = await ctx.openSession();
        const project = session.config.project;
        let graph;
        let result;
        if (references.length === 0 && project !== undefined) {
          // The project's tools and [env], resolved as `ocx env` resolves them.
          ({ graph, result } = await composeProjectEnv(session, { project, base: ctx.env }));
        } else {
          // Planned and composed only: explaining a value installs nothing.
          graph = await session.plan(references.map(parseReference));
          result = await session.compose(graph, ctx.env);
        }
        const explanation = explainVariable(variable, { graph, result, base: ctx.env });
        ctx.stdout(ctx.isJson ? `${JSON.stringify(explanation, null, 2)}\n` : renderExplanation(explanation));
      }),
    );
}

function renderExplanation(explanation: VariableExplanation): string {
  const { key, value, steps } = explanation;
  const lines = [value === undefined ? `${key} is not set` : `${key}=${value}`];
  if (steps.length === 0) lines.push("  no package, patch or plugin sets it, and the caller's environment does not have it");
  steps.forEach((step, index) => {
    lines.push(`  ${index + 1}. ${describeStep(step)}`);
    if (step.value !== undefined && index < steps.length - 1) lines.push(`     value: ${step.value}`);
    if (step.overrode !== undefined) lines.push(`     overrode ${step.overrode.id}: ${step.overrode.value}`);
  });
  return `${lines.join("\n")}\n`;
}

function describeStep(step: VariableStep): string {
  if (step.kind === "caller") return "caller's environment";
  const verb = { set: "set", prepend: "prepended to", append: "appended to", unset: "unset" }[step.action];
  if (step.kind === "plugin") return `plugin ${step.id} ${verb} it (env transform)`;
  if (step.kind === "package") return `package ${step.id} ${verb} it`;
  const via = step.rules?.length ? `, rule ${step.rules.join(", ")}` : "";
  return `companion ${step.id} ${verb} it (patches ${step.patches?.join(", ") ?? "?"}${via})`;
}
