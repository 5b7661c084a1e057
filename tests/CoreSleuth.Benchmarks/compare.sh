#!/usr/bin/env bash
# Side by side: `coresleuth bt CORE` and `coresleuth analyze CORE` against
# `lldb-16 -b -c CORE -o "thread list" -o "bt all"` on the same cores, runs alternating, medians of
# wall time and peak resident memory, and the ratios; then what each added thread costs each tool.
#
#   tests/CoreSleuth.Benchmarks/compare.sh [--runs N] [--coresleuth CMD] [--sysroot] [--bt|--analyze|--all] [--sizes] [CORE...]
#
# `bt` lists every thread and its backtrace: the work LLDB is asked for. `analyze` also decodes
# system calls, searches memory for statements and diagnoses. --bt or --analyze times only one;
# --all also times `threads` and `handle` (no stacks walked), which should stay near start-up time:
# alongside them `coresleuth --version` (start-up alone) and, when a C compiler is at hand,
# notes-floor.c (what no reader can skip before it lists threads: the notes read and walked).
# CORE defaults to the generated cores of 500, 4,000 and 10,000 threads (mysqld-{500,4000,10000}t-4g,
# written first if missing); --sizes picks the 1,000-thread cores of 4, 16 and 64 GiB instead
# (time independent of the core's size). An X.innodb.txt beside a core is passed with --innodb-status.
# The cost per added thread is the slope between the cores of fewest and most threads.
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
sizes=0
commands=(bt analyze)
cores=()
while [ $# -gt 0 ]; do
    case "$1" in
        --runs) runs="$2"; shift 2 ;;
        --coresleuth) read -r -a coresleuth <<<"$2"; shift 2 ;;
        --sysroot) use_sysroot=1; shift ;;
        --bt) commands=(bt); shift ;;
        --analyze) commands=(analyze); shift ;;
        --all) commands=(bt analyze threads handle); shift ;;
        --sizes) sizes=1; shift ;;
        -h|--help) sed -n '2,/^set -euo/{/^#/p}' "$0"; exit 0 ;;
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
    names=(mysqld-500t-4g mysqld-4000t-4g mysqld-10000t-4g)
    [ "$sizes" = 1 ] && names=(mysqld-1000t-4g mysqld-1000t-16g mysqld-1000t-64g)
    for name in "${names[@]}"; do
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

# Start-up and the notes' floor, timed beside `threads` and `handle`.
startup=0
case " ${commands[*]} " in *" threads "*|*" handle "*) startup=1 ;; esac
notes_floor=()
if [ "$startup" = 1 ] && command -v cc >/dev/null; then
    scratch=$(mktemp -d)
    trap 'rm -rf "$scratch"' EXIT
    cc -O2 -pthread -o "$scratch/notes-floor" "$here/notes-floor.c" && notes_floor=("$scratch/notes-floor")
fi

median() { sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

echo "coresleuth: ${coresleuth[*]} (${commands[*]})"
echo "lldb:       $(lldb-16 --version | head -n 1)"
echo "runs:       $runs per tool, command and core, alternating, after one warm-up run of each (file in page cache)"
echo
# Every time includes starting a process, the same for both tools: shown apart.
floor=$(for _ in $(seq "$runs"); do measure /bin/true; done | awk '{ print $1 }' | median)
echo "floor:      $floor s to run /bin/true the same way (part of every time below)"
echo
printf '%-28s %8s %9s %-8s %12s %11s %9s %9s %9s\n' core threads "size GiB" command "coresleuth s" "lldb s" "lldb/cs" "cs MB" "lldb MB"
slopes=()
nearness=()
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
    threads_json=$("${coresleuth[@]}" threads "$core" --format json)
    nthreads=$(grep -c '"lwp":' <<<"$threads_json" || true)
    # `handle` resolves the first thread's pthread_t, as a DBA pastes one from InnoDB status.
    handle=$(sed -n 's/^ *"pthread": "\(0x[0-9a-f]*\)",\{0,1\}$/\1/p' <<<"$threads_json" | head -n 1 || true)
    args_for() {
        case "$1" in
            analyze) echo analyze "$core" "${cs_extra[@]}" ;;
            threads) echo threads "$core" ;;
            handle) echo handle "$core" "${handle:-0x1}" ;;
            *) echo "$1" "$core" "${cs_extra[@]}" ;;
        esac
    }
    for command in "${commands[@]}"; do read -r -a a <<<"$(args_for "$command")"; measure "${coresleuth[@]}" "${a[@]}" >/dev/null; done
    measure lldb-16 "${lldb_args[@]}" >/dev/null
    declare -A cs_t=() cs_m=()
    ll_t=(); ll_m=(); up_t=(); fl_t=()
    for _ in $(seq "$runs"); do
        for command in "${commands[@]}"; do
            read -r -a a <<<"$(args_for "$command")"
            read -r t m < <(measure "${coresleuth[@]}" "${a[@]}")
            cs_t[$command]+="$t "; cs_m[$command]+="$m "
        done
        read -r t m < <(measure lldb-16 "${lldb_args[@]}"); ll_t+=("$t"); ll_m+=("$m")
        if [ "$startup" = 1 ]; then
            read -r t m < <(measure "${coresleuth[@]}" --version); up_t+=("$t")
            if [ ${#notes_floor[@]} -gt 0 ]; then read -r t m < <(measure "${notes_floor[@]}" "$core"); fl_t+=("$t"); fi
        fi
    done
    ll=$(printf '%s\n' "${ll_t[@]}" | median); llm=$(printf '%s\n' "${ll_m[@]}" | median)
    size=$(awk -v b="$(stat -c %s "$core")" 'BEGIN { printf "%.1f", b / 1073741824 }')
    for command in "${commands[@]}"; do
        cs=$(printf '%s\n' ${cs_t[$command]} | median); csm=$(printf '%s\n' ${cs_m[$command]} | median)
        slopes+=("$command $nthreads $cs $ll")
        printf '%-28s %8s %9s %-8s %12.3f %11.3f %8.1fx %9.0f %9.0f\n' "$(basename "$core")" "$nthreads" "$size" "$command" "$cs" "$ll" \
            "$(awk -v a="$ll" -v b="$cs" 'BEGIN { print (b > 0 ? a / b : 0) }')" "$(awk -v k="$csm" 'BEGIN { print k / 1024 }')" "$(awk -v k="$llm" 'BEGIN { print k / 1024 }')"
        if [ "$startup" = 1 ] && [[ "$command" == threads || "$command" == handle ]]; then
            up=$(printf '%s\n' "${up_t[@]}" | median)
            line=$(awk -v c="$cs" -v u="$up" -v n="$nthreads" -v k="$command" 'BEGIN { printf "%6d threads %-8s %.3f s = %.1fx start-up (coresleuth --version %.3f s)", n, k, c, (u > 0 ? c / u : 0), u }')
            if [ ${#fl_t[@]} -gt 0 ]; then
                fl=$(printf '%s\n' "${fl_t[@]}" | median)
                line+=$(awk -v f="$fl" -v z="$floor" -v u="$up" 'BEGIN { printf "; floor: start-up + %.3f s of notes = %.1fx", f - z, (u > 0 ? (u + f - z) / u : 0) }')
            fi
            nearness+=("$line")
        fi
    done
    unset cs_t cs_m
done

# What one more thread costs: the slope of the median times between the cores of fewest and most
# threads (a regression shows as a larger number here before it shows anywhere else).
echo
for command in "${commands[@]}"; do
    printf '%s\n' "${slopes[@]}" | awk -v c="$command" '$1 == c { n[++k] = $2; cs[k] = $3; ll[k] = $4 }
        END {
            if (k < 2) exit
            lo = 1; hi = 1
            for (i = 2; i <= k; i++) { if (n[i] < n[lo]) lo = i; if (n[i] > n[hi]) hi = i }
            if (n[hi] == n[lo]) exit
            d = n[hi] - n[lo]
            printf "per added thread, %-8s coresleuth %6.1f us, lldb %6.1f us (from %d to %d threads)\n", c, (cs[hi] - cs[lo]) / d * 1e6, (ll[hi] - ll[lo]) / d * 1e6, n[lo], n[hi]
        }'
done

# How near start-up the commands without stacks stay, and the least any reader could take: start-up
# plus what notes-floor.c needs beyond an empty process (the notes read and walked).
if [ ${#nearness[@]} -gt 0 ]; then
    echo
    printf '%s\n' "${nearness[@]}"
fi
