#!/usr/bin/env bash
# Writes prisma/migrations/<timestamp>_<name>/migration.sql: the SQL that takes the schema as
# committed (HEAD) to the working copy of prisma/schema.prisma. A pure schema diff, so it needs no
# shadow database (Prisma 6.19's shadow database path trips over prisma/orm#27403).
# Usage: npm run migration:new -w @herald/api -- <name>
set -euo pipefail
name="${1:?usage: new-migration.sh <name>}"
cd "$(dirname "$0")/.."
root=../..
before=$(mktemp --suffix=.prisma)
trap 'rm -f "$before"' EXIT
git -C "$root" show HEAD:prisma/schema.prisma > "$before"
dir="$root/prisma/migrations/$(date -u +%Y%m%d%H%M%S)_${name}"
# A schema-to-schema diff changes no database, but the CLI connects its configured adapter anyway.
# Point it at any reachable PostgreSQL (not the embedded PGlite, which keeps the CLI from exiting).
sql=$(DATABASE_URL="${DATABASE_URL:-postgresql://postgres@127.0.0.1:5432/postgres}" npx prisma migrate diff --from-schema-datamodel "$before" --to-schema-datamodel "$root/prisma/schema.prisma" --script)
if ! grep -qvE '^(--.*)?$' <<<"$sql"; then
  echo "prisma/schema.prisma has no changes since HEAD; nothing to migrate." >&2
  exit 1
fi
mkdir -p "$dir"
printf '%s\n' "$sql" > "$dir/migration.sql"
echo "wrote $dir/migration.sql"
