#!/usr/bin/env bash
# Runs the Robot tests in renode/tests with renode-test where it is on PATH (that path is untested here); elsewhere reports each test case skipped
# with the reason. Either way the last line is "N passed, N failed, N skipped".
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cases=0
for suite in "$here"/tests/*.robot; do
    # Test cases: the unindented lines after "*** Test Cases ***".
    n="$(awk '/^\*\*\* Test Cases \*\*\*/{on=1; next} /^\*\*\*/{on=0} on && /^[^ \t#]/{c++} END{print c+0}' "$suite")"
    cases=$((cases + n))
done
if ! command -v renode-test >/dev/null 2>&1; then
    echo "renode tests: $cases collected from renode/tests, all skipped: renode-test is not on PATH (Renode is in neither Debian, NuGet nor npm, so it cannot be installed here); QEMU runs the same firmware in the other tests"
    echo "0 passed, 0 failed, $cases skipped"
    exit 0
fi
results="$(mktemp -d)"
trap 'rm -rf "$results"' EXIT
renode-test --results-dir "$results" "$here"/tests/*.robot
rc=$?
# Robot's totals: <stat pass="P" fail="F" skip="S">All Tests</stat> in each output XML.
totals="$(grep -ho '<stat pass="[0-9]*" fail="[0-9]*"[^>]*>All Tests</stat>' "$results"/*.xml 2>/dev/null)"
passed="$(sed -E 's/.*pass="([0-9]+)".*/\1/' <<<"$totals" | awk '{s+=$1} END{print s+0}')"
failed="$(sed -E 's/.*fail="([0-9]+)".*/\1/' <<<"$totals" | awk '{s+=$1} END{print s+0}')"
if ((rc != 0 && failed == 0)); then
    failed=1
fi
echo "$passed passed, $failed failed, 0 skipped"
((rc == 0))
