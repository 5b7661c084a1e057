#!/usr/bin/env bash
# Side by side: `coresleuth bt CORE` and `coresleuth analyze CORE` against
# `lldb-16 -b -c CORE -o "thread list" -o "bt all"` on the same cores, runs alternating, medians of
# wall time and peak resident memory, and the ratios.
#
#   tests/CoreSleuth.Benchmarks/compare.sh [--runs N] [--coresleuth CMD] [--sysroot] [--bt|--analyze] [CORE...]
#
# `bt` lists every thread and its backtrace: the work LLDB is asked for. `analyze` also decodes
# system calls, searches memory for statements and diagnoses. --bt or --analyze times only one.
# CORE defaults to the generated production-scale cores (written first if missing):
# mysqld-1000t-{4,16,64}g. An X.innodb.txt beside a core is passed with --innodb-status.
# --coresleuth picks the command to time (default: the native AOT binary artifacts/aot/coresleuth
# when it exists, else the Release build run by dotnet). --sysroot gives both tools the binaries
# of the generated cores (X.sysroot/): coresleuth as --sysroot, LLDB as the executable it then
# symbolizes (LLDB 16 loads no shared library of a FreeBSD core).
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
runs=5
coresleuth=()
use_sysroot=0
commands=(bt analyze)
cores=()
while [ $# -gt 0 ]; do
    case "$1" in
        --runs) runs="$2"; shift 2 ;;
        --coresleuth) read -r -a coresleuth <<<"$2"; shift 2 ;;
        --sysroot) use_sysroot=1; shift ;;
        --bt) commands=(bt); shift ;;
        --analyze) commands=(analyze); shift ;;
        -h|--help) sed -n '2,16p' "$0"; exit 0 ;;
        -*) echo "compare.sh: unknown option $1" >&2; exit 2 ;;
        *) cores+=("$1"); shift ;;
    esac
done
command -v lldb-16 >/dev/null || { echo "compare.sh: lldb-16 is not installed (apt-get install lldb-16)" >&2; exit 2; }
command -v python3 >/dev/null || { echo "compare.sh: python3 is needed to time the runs" >&2; exit 2; }

bench=(dotnet "$root/tests/CoreSleuth.Benchmarks/bin/Release/net10.0/CoreSleuth.Benchmarks.dll")
if [ ${#cores[@]} -eq 0 ] || [ ${#coresleuth[@]} -eq 0 ]; then
    dotnet build "$root/tests/CoreSleuth.Benchmarks" -c Release -nologo -v quiet >/dev/null
fi
if [ ${#cores[@]} -eq 0 ]; then
    folder="${CORESLEUTH_BENCH_CORES:-$here/.cores}"
    for name in mysqld-1000t-4g mysqld-1000t-16g mysqld-1000t-64g; do
        "${bench[@]}" generate "$name" >/dev/null
        cores+=("$folder/$name.core")
    done
fi
if [ ${#coresleuth[@]} -eq 0 ]; then
    if [ -x "$root/artifacts/aot/coresleuth" ]; then coresleuth=("$root/artifacts/aot/coresleuth")
    else coresleuth=(dotnet "$root/src/CoreSleuth.Cli/bin/Release/net10.0/CoreSleuth.Cli.dll"); fi
fi

# One timed run: prints "SECONDS KB": wall time from just before the process is spawned
# (posix_spawn) until it has been waited for, and its peak resident set (wait4's ru_maxrss). Timed
# in one small program rather than around bash and /usr/bin/time, whose own forks cost 5-15 ms on
# a VM, more than a tenth of a 50 ms run.
measure() {
    python3 - "$@" <<'PY'
import os, sys, time
null = [(os.POSIX_SPAWN_OPEN, fd, os.devnull, os.O_WRONLY, 0) for fd in (1, 2)]
start = time.perf_counter()
pid = os.posix_spawnp(sys.argv[1], sys.argv[1:], os.environ, file_actions=null)
_, _, usage = os.wait4(pid, 0)
print(f"{time.perf_counter() - start:.4f} {usage.ru_maxrss}")
PY
}

median() { sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

echo "coresleuth: ${coresleuth[*]} (${commands[*]})"
echo "lldb:       $(lldb-16 --version | head -n 1)"
echo "runs:       $runs per tool, command and core, alternating, after one warm-up run of each (file in page cache)"
echo
# Every time includes starting a process, the same for both tools: shown apart.
floor=$(for _ in $(seq "$runs"); do measure /bin/true; done | awk '{ print $1 }' | median)
echo "floor:      $floor s to run /bin/true the same way (part of every time below)"
echo
printf '%-28s %9s %-8s %12s %11s %9s %9s %9s\n' core "size GiB" command "coresleuth s" "lldb s" "lldb/cs" "cs MB" "lldb MB"
for core in "${cores[@]}"; do
    [ -f "$core" ] || { echo "compare.sh: $core: no such file" >&2; exit 2; }
    cs_extra=()
    innodb="${core%.core}.innodb.txt"
    [ -f "$innodb" ] && cs_extra+=(--innodb-status "$innodb")
    lldb_args=(-b -c "$core" -o "thread list" -o "bt all")
    sysroot="${core%.core}.sysroot"
    if [ "$use_sysroot" = 1 ]; then
        [ -d "$sysroot" ] || { echo "compare.sh: --sysroot: no folder $sysroot" >&2; exit 2; }
        cs_extra+=(--sysroot "$sysroot")
        # LLDB 16 loads no shared libraries of a FreeBSD core, but symbolizes the executable given with it.
        exe=$("${coresleuth[@]}" info "$core" --format json | sed -n 's/^ *"executable": "\(.*\)",\{0,1\}$/\1/p' | head -n 1)
        [ -f "$sysroot$exe" ] || { echo "compare.sh: --sysroot: no executable $sysroot$exe" >&2; exit 2; }
        lldb_args=(-b "$sysroot$exe" -c "$core" -o "thread list" -o "bt all")
    fi
    for command in "${commands[@]}"; do measure "${coresleuth[@]}" "$command" "$core" "${cs_extra[@]}" >/dev/null; done
    measure lldb-16 "${lldb_args[@]}" >/dev/null
    declare -A cs_t=() cs_m=()
    ll_t=(); ll_m=()
    for _ in $(seq "$runs"); do
        for command in "${commands[@]}"; do
            read -r t m < <(measure "${coresleuth[@]}" "$command" "$core" "${cs_extra[@]}")
            cs_t[$command]+="$t "; cs_m[$command]+="$m "
        done
        read -r t m < <(measure lldb-16 "${lldb_args[@]}"); ll_t+=("$t"); ll_m+=("$m")
    done
    ll=$(printf '%s\n' "${ll_t[@]}" | median); llm=$(printf '%s\n' "${ll_m[@]}" | median)
    size=$(awk -v b="$(stat -c %s "$core")" 'BEGIN { printf "%.1f", b / 1073741824 }')
    for command in "${commands[@]}"; do
        cs=$(printf '%s\n' ${cs_t[$command]} | median); csm=$(printf '%s\n' ${cs_m[$command]} | median)
        printf '%-28s %9s %-8s %12.3f %11.3f %8.1fx %9.0f %9.0f\n' "$(basename "$core")" "$size" "$command" "$cs" "$ll" \
            "$(awk -v a="$ll" -v b="$cs" 'BEGIN { print (b > 0 ? a / b : 0) }')" "$(awk -v k="$csm" 'BEGIN { print k / 1024 }')" "$(awk -v k="$llm" 'BEGIN { print k / 1024 }')"
    done
    unset cs_t cs_m
done
