#!/usr/bin/env bash
# Compressed cores: the time `coresleuth info` takes on a core compressed with gzip, zstd and xz
# (it decompresses the whole core into a temporary file, then reads the notes) against the
# reference tools decompressing the same file into a file (gzip -dc, zstd -dc, xz -dc), side by
# side, alternating, median of ROUNDS runs each. The input is a bundled sample core followed by
# SIZE MiB of base64 text (compressible about as well as a buffer pool of rows: 1.3:1 with gzip).
#
# usage: tests/CoreSleuth.Benchmarks/decompress.sh [COREsleuth_COMMAND] [SIZE_MIB] [ROUNDS]
#   COREsleuth_COMMAND defaults to the native binary artifacts/aot/coresleuth.
set -euo pipefail
cd "$(dirname "$0")/../.."
tool=${1:-artifacts/aot/coresleuth}
size=${2:-256}
rounds=${3:-5}
[ -x "$tool" ] || { echo "decompress.sh: $tool is not an executable (publish the native binary first, see README)" >&2; exit 2; }
for t in gzip zstd xz python3; do command -v $t >/dev/null || { echo "decompress.sh: needs $t" >&2; exit 2; }; done

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# Bounded: the input, its three compressed forms and one decompressed copy, each at most SIZE MiB + the sample.
need=$(( (size + 16) * 5 * 1024 ))
avail=$(df -Pk "$work" | awk 'NR==2 {print $4}')
[ "$avail" -gt "$need" ] || { echo "decompress.sh: $((need / 1024)) MiB needed in $work, $((avail / 1024)) MiB free" >&2; exit 2; }
ulimit -f $(( need * 2 ))

cat samples/mysqld-ghost-fifo.core > "$work/core"
head -c $(( size * 3 / 4 * 1024 * 1024 )) /dev/urandom | base64 -w 0 >> "$work/core"
gzip -6 -c "$work/core" > "$work/core.gz"
zstd -q -3 -c "$work/core" > "$work/core.zst"
xz -6 -T1 -c "$work/core" > "$work/core.xz"
ls -l "$work"/core* | awk '{print $5, $9}' | sed "s#$work/##"

python3 - "$tool" "$work" "$rounds" <<'EOF'
import statistics, subprocess, sys, time
tool, work, rounds = sys.argv[1], sys.argv[2], int(sys.argv[3])
def run(argv, out):
    start = time.perf_counter()
    with open(out, "wb") as f:
        subprocess.run(argv, stdout=f, check=True)
    return time.perf_counter() - start
print(f"{'format':6}  {'coresleuth info':>16}  {'reference tool':>22}  ratio")
for fmt, ref in (("gz", "gzip"), ("zst", "zstd"), ("xz", "xz")):
    ours, theirs = [], []
    for _ in range(rounds):
        ours.append(run([tool, "info", f"{work}/core.{fmt}"], "/dev/null"))
        theirs.append(run([ref, "-dc", f"{work}/core.{fmt}"], f"{work}/plain"))
    o, t = statistics.median(ours), statistics.median(theirs)
    print(f"{fmt:6}  {o:15.3f}s  {ref + ' -dc':>12} {t:8.3f}s  {o / t:4.2f}x")
EOF
