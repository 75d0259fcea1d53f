#!/usr/bin/env bash
# Instructions per benchmark iteration, counted by valgrind's callgrind: a figure a shared,
# noisy VM cannot move, for comparing two builds of one benchmark when wall times vary by more
# than the change (docs/performance.md).
#
#   benchmarks/ir_per_iteration.sh BENCH_BINARY FILTER
#
# FILTER must select one benchmark registered at two fixed iteration counts (its names end in
# /iterations:N, e.g. BM_QueryLifecycleCounted in bench_middleware). Each is run alone under
# callgrind; the difference of the instructions executed divided by the difference of the
# iterations is printed, so setup (opening databases, preparing statements) cancels out. A
# benchmark without fixed counts would not do: Google Benchmark's calibration runs differ
# from run to run. Needs valgrind (apt install valgrind).
set -euo pipefail

if [[ $# -ne 2 ]]; then
  echo "usage: $0 BENCH_BINARY FILTER" >&2
  exit 2
fi
bin=$1
filter=$2
command -v valgrind > /dev/null || {
  echo "$0: valgrind not found (apt install valgrind)" >&2
  exit 2
}
[[ -x $bin ]] || {
  echo "$0: $bin: not an executable" >&2
  exit 2
}

mapfile -t names < <("$bin" --benchmark_filter="$filter" --benchmark_list_tests)
counts=()
for name in "${names[@]}"; do
  if [[ $name =~ /iterations:([0-9]+)$ ]]; then counts+=("${BASH_REMATCH[1]}"); fi
done
if [[ ${#names[@]} -ne 2 || ${#counts[@]} -ne 2 || ${counts[0]} -eq ${counts[1]} ]]; then
  echo "$0: '$filter' must select two runs of one benchmark at different fixed iteration" \
    "counts; it selected: ${names[*]:-nothing}" >&2
  exit 1
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Prints the instructions callgrind counted for the run named $1 (the whole process).
instructions() {
  valgrind --tool=callgrind --callgrind-out-file="$work/cg.out" "$bin" \
    --benchmark_filter="^$1\$" > "$work/log" 2>&1 || {
    echo "$0: $bin failed; its output:" >&2
    cat "$work/log" >&2
    exit 1
  }
  sed -n 's/.*Collected : \([0-9]*\).*/\1/p' "$work/log"
}

i0=$(instructions "${names[0]}")
i1=$(instructions "${names[1]}")
echo "$filter: $(((i1 - i0) / (counts[1] - counts[0]))) instructions per iteration" \
  "(runs of ${counts[0]} and ${counts[1]} iterations)"
