#!/usr/bin/env bash
# Creates an empty migration: npm run migration:create -- add-something
# Then register the class in src/database/migrations.ts (migrations are listed explicitly, in order).
set -euo pipefail
name="${1:?usage: npm run migration:create -- kebab-case-name}"
[[ "$name" =~ ^[a-z0-9]+(-[a-z0-9]+)*$ ]] || { echo "name must be kebab-case" >&2; exit 2; }
ts=$(date +%s%3N)
class=$(echo "$name" | awk -F- '{for(i=1;i<=NF;i++) printf "%s", toupper(substr($i,1,1)) substr($i,2)}')$ts
file="migrations/$ts-$name.ts"
cat > "$file" <<TS
import { type MigrationInterface, type QueryRunner } from 'typeorm';

export class $class implements MigrationInterface {
  name = '$class';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('');
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('');
  }
}
TS
echo "created $file; now add $class to src/database/migrations.ts"
