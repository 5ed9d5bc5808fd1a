#!/usr/bin/env bash
# Runs MarlEdge's whole test suite (xunit) after setup.sh, and ends with the line "N passed, M failed".
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
"$root/setup.sh" || exit $?
log="$(mktemp)"
dotnet test "$root/MarlEdge.sln" --no-build -nologo -v quiet 2>&1 | tee "$log"
code=${PIPESTATUS[0]}
# dotnet test prints one "Failed: F, Passed: P, Skipped: S, Total: T" line per test assembly: add them up.
passed=$(grep -Eo 'Passed: +[0-9]+' "$log" | awk '{s += $2} END {print s + 0}')
failed=$(grep -Eo 'Failed: +[0-9]+' "$log" | awk '{s += $2} END {print s + 0}')
rm -f "$log"
echo "${passed:-0} passed, ${failed:-0} failed"
if [ "${passed:-0}" -eq 0 ] && [ "$code" -eq 0 ]; then echo "no test ran" >&2; exit 1; fi
exit "$code"
