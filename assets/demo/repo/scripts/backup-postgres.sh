#!/usr/bin/env bash
# Nightly dump of all databases to the NAS. Run from cron on the service node:
#   15 3 * * * /home/admin/homelab/scripts/backup-postgres.sh
set -euo pipefail

DEST=${DEST:-/mnt/nas/backups/postgres}
KEEP_DAYS=${KEEP_DAYS:-14}
stamp=$(date +%Y%m%d-%H%M%S)

mkdir -p "$DEST"
kubectl -n databases exec statefulset/postgres -- pg_dumpall -U homelab \
  | gzip > "$DEST/pg_dumpall-$stamp.sql.gz"

find "$DEST" -name 'pg_dumpall-*.sql.gz' -mtime +"$KEEP_DAYS" -delete
echo "backup written: $DEST/pg_dumpall-$stamp.sql.gz"
