#!/usr/bin/env bash
# outage: measure the notifier on the bundled test split, then show one announcement.
set -euo pipefail
data="$(cd ../src/watcloud/outage/data && pwd)"
echo "\$ watcloud outage eval test.jsonl   (bundled notices written for the project; dev split was used for tuning)"
watcloud outage eval "$data/test.jsonl"
echo
echo "\$ watcloud outage check sample_notice.html --explain --posted 2027-05-01"
watcloud outage check "$data/sample_notice.html" --explain --posted 2027-05-01
