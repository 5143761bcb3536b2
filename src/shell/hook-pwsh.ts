import type { FreshCheck } from "./hook.ts";
import { quotePwsh } from "./pwsh.ts";

/**
 * Activation for PowerShell: the hook wraps the `prompt` function once and
 * keeps the previous one in `$global:__ocx_prompt`. The code a native
 * command prints arrives as lines, so it is joined before
 * `Invoke-Expression`.
 */
export function pwshActivation(binary: string): string {
  const ocx = quotePwsh(binary);
  return [
    "function global:ocx {",
    "  if ($args.Count -gt 0 -and $args[0] -ceq 'deactivate') {",
    `    $code = & ${ocx} deactivate --shell pwsh`,
    "    if ($code) { Invoke-Expression ($code -join \"`n\") }",
    "  } else {",
    `    & ${ocx} @args`,
    "  }",
    "}",
    "function global:__ocx_fresh { return $false }",
    "function global:__ocx_hook {",
    "  $dir = (Get-Location -PSProvider FileSystem).ProviderPath",
    "  $found = ''",
    "  while ($dir) {",
    "    $candidate = [IO.Path]::Combine($dir, 'ocx.toml')",
    "    if ([IO.File]::Exists($candidate)) { $found = $candidate; break }",
    "    $dir = [IO.Path]::GetDirectoryName($dir)",
    "  }",
    "  if (-not (__ocx_fresh $found)) {",
    `    $code = & ${ocx} hook-env --shell pwsh --project-file $found`,
    "    if ($code) { Invoke-Expression ($code -join \"`n\") }",
    "  }",
    "}",
    "if (-not (Test-Path -LiteralPath 'variable:global:__ocx_prompt')) {",
    "  $global:__ocx_prompt = $function:prompt",
    "  function global:prompt { __ocx_hook; & $global:__ocx_prompt }",
    "}",
    "__ocx_hook",
    "",
  ].join("\n");
}

export function pwshFresh(check: FreshCheck): string {
  const lines = ["function global:__ocx_fresh([string]$Found) {"];
  if (check.stamp === null) {
    lines.push("  return $false", "}", "");
    return lines.join("\n");
  }
  lines.push(`  if ($Found -cne (${quotePwsh(check.project)})) { return $false }`);
  for (const [name, value] of check.variables) {
    lines.push(`  if ("$env:${name}" -cne (${quotePwsh(value)})) { return $false }`);
  }
  const stamp = quotePwsh(check.stamp);
  lines.push(`  if (-not [IO.File]::Exists(${stamp})) { return $false }`);
  lines.push(`  $stamp = [IO.File]::GetLastWriteTimeUtc(${stamp})`);
  const files = check.files.map(quotePwsh).join(", ");
  if (files !== "") {
    lines.push(`  foreach ($file in @(${files})) {`);
    lines.push("    if ([IO.File]::GetLastWriteTimeUtc($file) -gt $stamp) { return $false }");
    lines.push("  }");
  }
  lines.push("  return $true", "}", "");
  return lines.join("\n");
}

export function pwshDeactivation(): string {
  return [
    "if (Test-Path -LiteralPath 'variable:global:__ocx_prompt') {",
    "  Set-Item -LiteralPath 'function:global:prompt' -Value $global:__ocx_prompt",
    "  Remove-Variable -Name '__ocx_prompt' -Scope Global",
    "}",
    "Remove-Item -LiteralPath 'function:__ocx_hook', 'function:__ocx_fresh', 'function:ocx' -ErrorAction SilentlyContinue",
    "",
  ].join("\n");
}
