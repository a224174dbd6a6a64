#!/usr/bin/env bash
# The restore drill (docs/deploy.md, "Restoring a backup"): back up a PostgreSQL database
# with pg_dump, drop it, restore it with pg_restore, and compare `district_report` at
# three dates and every table's row count before and after. Exit status 1 on any
# difference. CI runs it on a scratch database holding the demo district.
#
#   scripts/restore_drill.sh                 # a scratch database vbsp_drill_<pid>, demo district, dropped after
#   scripts/restore_drill.sh postgres://…/db # that database (it is dropped and restored in place!)
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python

server=${PGSERVER:-postgres://postgres@127.0.0.1:5432}
if [ $# -ge 1 ]; then
    url=$1
    scratch=""
else
    scratch="vbsp_drill_$$"
    url="$server/$scratch"
fi
name=${url##*/}
admin="${url%/*}/postgres"
work=$(mktemp -d)
cleanup() {
    if [ -n "$scratch" ]; then psql -q "$admin" -c "DROP DATABASE IF EXISTS $scratch" || true; fi
    rm -rf "$work"
}
trap cleanup EXIT
started=$(date +%s)
say() { echo "[$(($(date +%s) - started)) s] $*"; }

if [ -n "$scratch" ]; then
    say "scratch database $scratch with the demo district"
    psql -q "$admin" -c "CREATE DATABASE $scratch"
    DATABASE_URL=$url $PY manage.py migrate --noinput -v 0
    DATABASE_URL=$url $PY manage.py seed_demo --force --without-figures >/dev/null
fi

snapshot() {  # $1: folder. The reports at three dates, and every table's row count.
    mkdir -p "$1"
    DATABASE_URL=$url $PY manage.py district_report --as-of 2019-12-31 --period 2019Q4 --by-group --format json >"$1/2019Q4.json"
    DATABASE_URL=$url $PY manage.py district_report --as-of 2020-06-30 --period 2020-06 --format json >"$1/2020-06.json"
    DATABASE_URL=$url $PY manage.py district_report --format json >"$1/today.json"
    psql -qAt "$url" -c "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename" |
        while read -r table; do
            echo "$table $(psql -qAt "$url" -c "SELECT count(*) FROM \"$table\"")"
        done >"$1/counts.txt"
}

say "before: reports and row counts of $name"
snapshot "$work/before"
say "backup (pg_dump)"
pg_dump --format=custom --file="$work/backup.dump" "$url"
say "drop $name"
psql -q "$admin" -c "DROP DATABASE $name"
say "restore (pg_restore)"
psql -q "$admin" -c "CREATE DATABASE $name"
pg_restore --no-owner --exit-on-error --dbname="$url" "$work/backup.dump"
# a restored database has no planner statistics until analysed: the reports' statements
# would run for minutes instead of seconds
psql -q "$url" -c "ANALYZE"
say "after: reports and row counts"
snapshot "$work/after"

if diff -r "$work/before" "$work/after"; then
    rows=$(awk '{s += $2} END {print s}' "$work/after/counts.txt")
    tables=$(wc -l <"$work/after/counts.txt")
    say "restore drill passed: 3 reports identical, $tables tables and $rows rows as before ($(du -h "$work/backup.dump" | cut -f1) backup)"
else
    say "restore drill FAILED: the restored database differs (above)"
    exit 1
fi
