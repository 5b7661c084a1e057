#!/usr/bin/env bash
# Long fuzzing run of the whole analyze pipeline.
#
#   tests/CoreSleuth.Fuzz/run.sh [DURATION] [--managed]
#
# DURATION is 90s, 30m, 2h… (default 30m). With AFL++ (afl-fuzz; apt-get install afl++) the
# CoreSleuth assembly is instrumented with SharpFuzz and afl-fuzz runs for DURATION; without it,
# or with --managed, the managed structure-aware mutation run does. Work files go to
# $CORESLEUTH_FUZZ_WORK (default tests/CoreSleuth.Fuzz/.work): bin/, seeds/, findings/ (AFL++),
# crashes/ (inputs that broke an invariant, each with a .txt saying which).
set -euo pipefail

duration=30m
managed=0
for arg in "$@"; do
    case "$arg" in
        --managed) managed=1 ;;
        -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
        *) duration="$arg" ;;
    esac
done

here="$(cd "$(dirname "$0")" && pwd)"
work="${CORESLEUTH_FUZZ_WORK:-$here/.work}"
mkdir -p "$work"

seconds() {
    local d="$1" n="${1%[smh]}"
    case "$d" in
        *h) echo $((n * 3600)) ;;
        *m) echo $((n * 60)) ;;
        *s) echo "$n" ;;
        *) echo "$d" ;;
    esac
}
secs="$(seconds "$duration")"

echo "== building the fuzz target"
rm -rf "$work/bin" # never publish over an instrumented assembly
dotnet publish "$here/CoreSleuth.Fuzz.csproj" -c Release -o "$work/bin" -nologo -v quiet

if [ "$managed" = 0 ] && ! command -v afl-fuzz >/dev/null 2>&1 && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "== afl-fuzz not found: installing Debian's afl++"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq afl++ >/dev/null 2>&1 || true
fi

if [ "$managed" = 0 ] && command -v afl-fuzz >/dev/null 2>&1; then
    if [ ! -x "$work/tools/sharpfuzz" ]; then
        echo "== installing the SharpFuzz instrumenter (dotnet tool SharpFuzz.CommandLine 2.3.0)"
        dotnet tool install SharpFuzz.CommandLine --version 2.3.0 --tool-path "$work/tools" >/dev/null
    fi
    # Seeds first: instrumented code may only run inside SharpFuzz's loop (it writes to AFL's shared memory).
    echo "== writing seeds"
    rm -rf "$work/seeds"
    dotnet "$work/bin/CoreSleuth.Fuzz.dll" seeds "$work/seeds"
    echo "== instrumenting CoreSleuth.dll"
    "$work/tools/sharpfuzz" "$work/bin/CoreSleuth.dll"
    resume="-i $work/seeds"
    if [ -d "$work/findings/default/queue" ]; then resume="-i -"; echo "== resuming $work/findings"; fi
    echo "== afl-fuzz for $duration ($secs s)"
    # dotnet itself is not instrumented (SKIP_BIN_CHECK); the crash handler of the host is not ours to configure.
    AFL_SKIP_BIN_CHECK=1 AFL_NO_UI=1 AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_AUTORESUME=1 \
        afl-fuzz $resume -o "$work/findings" -t 10000 -m none -V "$secs" -- dotnet "$work/bin/CoreSleuth.Fuzz.dll" afl || true
    stats="$work/findings/default/fuzzer_stats"
    if [ -f "$stats" ]; then
        echo "== AFL++ statistics"
        grep -E '^(run_time|execs_done|execs_per_sec|corpus_count|bitmap_cvg|edges_found|total_edges|saved_crashes|saved_hangs|stability)' "$stats"
    fi
    mkdir -p "$work/crashes"
    for f in "$work"/findings/default/crashes/id* "$work"/findings/default/hangs/id*; do
        [ -e "$f" ] || continue
        cp "$f" "$work/crashes/afl-$(basename "$(dirname "$f")")-$(sha256sum "$f" | cut -c1-12).core"
    done
    if ls "$work"/crashes/*.core >/dev/null 2>&1; then
        echo "== reproducing crashes (uninstrumented build)"
        dotnet publish "$here/CoreSleuth.Fuzz.csproj" -c Release -o "$work/bin-plain" -nologo -v quiet
        dotnet "$work/bin-plain/CoreSleuth.Fuzz.dll" repro "$work"/crashes/*.core || true
    fi
else
    echo "== managed mutation run for $duration"
    dotnet "$work/bin/CoreSleuth.Fuzz.dll" mutate --duration "$duration" --seed "${CORESLEUTH_FUZZ_SEED:-$(date +%s)}" --crashes "$work/crashes"
fi
