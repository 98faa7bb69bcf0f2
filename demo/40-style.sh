#!/usr/bin/env bash
# `watcloud style`: grammar and house style of MDX docs, on a bundled sample folder with
# deliberate errors (demo/style-sample). Exit code 1 (errors found) is expected here.
set -uo pipefail
cd "$(dirname "$0")"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp -r style-sample/. "$work/"
cd "$work"

echo "\$ watcloud style check            # docs/ of the sample project"
watcloud style check
echo "(exit code $?: 1 means findings of severity error)"

echo
echo "\$ watcloud style check -o json docs/clean.md docs/slurm.mdx | head -12"
watcloud style check -o json docs/clean.md docs/slurm.mdx | head -12

echo
echo "\$ watcloud style check --fix      # fixes of error-grade rules only (today: brand names)"
watcloud style check --fix >/dev/null 2>&1
echo "after --fix, what is left for a person to decide:"
watcloud style check
echo "(exit code $?)"
exit 0
