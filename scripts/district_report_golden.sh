#!/usr/bin/env bash
# The district report of the demo district at the five dates the consolidation keeps
# byte-identical (tests/demo/golden/). With --check, compare instead of writing.
#   DATABASE_URL=sqlite:////tmp/demo.sqlite3 scripts/district_report_golden.sh [--check]
# The database must hold the demo district (`manage.py seed_demo`).
set -euo pipefail
cd "$(dirname "$0")/.."
golden=tests/demo/golden
status=0
for spec in "2018-12-31::" "2019-12-31:2019:" "2020-03-31:2020-03:" "2020-06-30:2020Q2:--by-group" "2020-12-31:2020Q4:"; do
    IFS=: read -r day period by_group <<< "$spec"
    name="district_report_${day}${period:+_$period}${by_group:+_by_group}.json"
    out=$(mktemp)
    .venv/bin/python manage.py district_report --as-of "$day" ${period:+--period "$period"} $by_group --format json > "$out"
    if [ "${1:-}" = "--check" ]; then
        if cmp -s "$out" "$golden/$name"; then echo "same: $name"; else echo "DIFFERENT: $name"; status=1; fi
        rm -f "$out"
    else
        mv "$out" "$golden/$name"
        echo "written: $name"
    fi
done
exit $status
