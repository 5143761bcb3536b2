# Prompt-hook benchmark, sourced by scripts/bench after its registry and
# package are set up. Times the activation hook inside one bash process
# with $EPOCHREALTIME, because the point is what one prompt costs: with
# nothing changed the hook must not start a process at all, so hyperfine,
# which times processes, cannot see it. Baselines, taken in the same run:
# a bare `/usr/bin/true` (the cheapest process start) and `mise hook-env`
# (what mise's own prompt hook runs) for the same two tools, where the
# `@jdxcode/mise` npm package installs.

MISE_VERSION=2026.9.15

# Installs mise from npm into .tmp once; prints its path, or nothing.
ensure_mise() {
  local prefix="$ROOT/.tmp/mise-npm"
  local mise="$prefix/node_modules/.bin/mise"
  if [ ! -x "$mise" ]; then
    npm install --no-audit --no-fund --loglevel=error --prefix "$prefix" "@jdxcode/mise@$MISE_VERSION" >&2 || return 0
  fi
  "$mise" --version >/dev/null 2>&1 && echo "$mise"
}

# The timing loop shared by both shells: microseconds per iteration of $2.
HOOK_MEASURE='measure() {
  local runs=$1 start end
  start=$EPOCHREALTIME
  for ((i = 0; i < runs; i++)); do eval "$2"; done
  end=$EPOCHREALTIME
  echo $(( (${end/./} - ${start/./}) / runs ))
}'

# Prints "idle changed true" in microseconds for ocx's hook. "changed"
# appends to the user config, which makes the next prompt recompose the
# project: editing ocx.toml itself would also revoke its trust.
bench_ocx_hook() {
  local project=$1
  bash --norc --noprofile -c "$HOOK_MEASURE"'
    cd "$1"
    eval "$("$2" activate bash)"
    echo "$(measure 2000 __ocx_hook) $(measure 30 "echo \"# \$i\" >> \"\$OCX_HOME/config.toml\"; __ocx_hook") $(measure 300 /usr/bin/true)"
  ' bench "$project" "$OCX"
}

# Prints "idle changed" in microseconds for mise's hook on the same tools;
# "changed" appends to mise.toml, which mise re-reads in full.
bench_mise_hook() {
  local mise=$1 project=$2
  MISE_DATA_DIR="$WORK/mise/data" MISE_CONFIG_DIR="$WORK/mise/config" MISE_CACHE_DIR="$WORK/mise/cache" \
  MISE_STATE_DIR="$WORK/mise/state" MISE_TRUSTED_CONFIG_PATHS="$project" \
  bash --norc --noprofile -c "$HOOK_MEASURE"'
    cd "$1"
    mise_bin=$2
    eval "$("$mise_bin" activate bash)"
    eval "$("$mise_bin" hook-env -s bash)"
    hook='\''eval "$("$mise_bin" hook-env -s bash)"'\''
    echo "$(measure 100 "$hook") $(measure 30 "echo \"# \$i\" >> mise.toml; $hook")"
  ' bench "$project" "$mise"
}

# Writes both projects for tools at $1 and $2 (install paths) and prints the table rows.
bench_hook() {
  local tool_home=$1 tool2_home=$2
  mkdir -p "$WORK/hook/ocx" "$WORK/hook/mise"
  printf '[tools]\ntool = "%s"\ntool2 = "%s"\n' "$REG/bench/tool:1" "$REG/bench/tool2:1" > "$WORK/hook/ocx/ocx.toml"
  "$OCX" trust "$WORK/hook/ocx/ocx.toml" >/dev/null
  printf '[env]\n_.path = ["%s/bin", "%s/bin"]\nTOOL_HOME = "%s"\nTOOL2_HOME = "%s"\n' \
    "$tool_home" "$tool2_home" "$tool_home" "$tool2_home" > "$WORK/hook/mise/mise.toml"

  local idle changed bare
  read -r idle changed bare < <(bench_ocx_hook "$WORK/hook/ocx")
  local mise mise_idle="" mise_changed=""
  mise=$(ensure_mise)
  if [ -n "$mise" ]; then read -r mise_idle mise_changed < <(bench_mise_hook "$mise" "$WORK/hook/mise"); fi

  "$BUN" -e '
const [idle, changed, bare, miseIdle, miseChanged, miseVersion] = process.argv.slice(1);
const ms = (us) => (Number(us) / 1000).toFixed(3);
const ratio = (a, b) => (b ? `${(Number(a) / Number(b)).toFixed(2)}x` : "n/a");
const mise = miseIdle ? ` (mise ${miseVersion})` : " (mise not installable from npm here)";
console.log("");
console.log(`| prompt hook, per prompt | ocx | true | ratio to true | mise hook-env${mise} | ratio to mise |`);
console.log("|---|---|---|---|---|---|");
console.log(`| nothing changed | ${ms(idle)} ms | ${ms(bare)} ms | ${ratio(idle, bare)} | ${miseIdle ? ms(miseIdle) + " ms" : "n/a"} | ${ratio(idle, miseIdle)} |`);
console.log(`| config changed, full refresh | ${ms(changed)} ms | ${ms(bare)} ms | ${ratio(changed, bare)} | ${miseChanged ? ms(miseChanged) + " ms" : "n/a"} | ${ratio(changed, miseChanged)} |`);
' "$idle" "$changed" "$bare" "$mise_idle" "$mise_changed" "$MISE_VERSION"
}
