#!/usr/bin/env bash
# Fresh PostgreSQL database `terminarz_bench`, then P providers × N practitioners × D days of slots.
# Usage: benchmarks/slot_generation.sh [practitioners=5000] [days=90] [jobs=2] [providers=50]
# Prints slots/s of the generation phase and peak memory; leaves the data for the other benchmarks.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-5000}; D=${2:-90}; J=${3:-2}; P=${4:-50}
export DATABASE_URL=${BENCH_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/terminarz_bench}
db=${DATABASE_URL##*/}
psql "${DATABASE_URL%/*}/postgres" -qc "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db"
.venv/bin/python manage.py migrate -v0
.venv/bin/python manage.py generate_load_data --providers "$P" --practitioners "$N" --days "$D" --jobs "$J"
psql "$DATABASE_URL" -qc "VACUUM ANALYZE"
