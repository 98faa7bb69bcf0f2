#!/usr/bin/env bash
# watcloud notify: 40 emails through the SMTP pool to a local relay that answers 421 above
# 30 messages/second and refuses one mailbox; the second run sends nothing twice. Then a
# template rendered for the browser. Needs only the Python packages (aiosmtpd from the test extra).
set -euo pipefail
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export XDG_STATE_HOME="$tmp/state" XDG_CONFIG_HOME="$tmp/config"

# A local relay (aiosmtpd) in the background: 421 + close above 30 msg/s, 550 for ghost@.
coproc RELAY { python -m watcloud.notify.testing --window-limit 30 --refuse ghost@example.org; }
read -r -u "${RELAY[0]}" port
echo "relay: aiosmtpd on 127.0.0.1:$port (421 above 30 msg/s, 550 for ghost@example.org)"

export WATCLOUD_SMTP_HOST=127.0.0.1 WATCLOUD_SMTP_PORT="$port" WATCLOUD_SMTP_SECURITY=none
export WATCLOUD_SMTP_FROM="WATcloud <no-reply@watcloud.example>"
export WATCLOUD_SMTP_RATE_PER_SECOND=25 WATCLOUD_SMTP_MESSAGES_PER_CONNECTION=20

python - "$tmp/batch.jsonl" <<'PY'
import json, sys
with open(sys.argv[1], "w") as f:
    for i in range(40):
        to = [f"user{i}@example.org"] + (["ghost@example.org"] if i == 7 else [])
        f.write(json.dumps({"to": to, "subject": f"Scratch usage report {i}", "text": f"Hello user{i}."}) + "\n")
    f.write(json.dumps({"to": "team@example.org", "template": "announcement",
                        "data": {"title": "Maintenance done", "body": "All machines are back.", "link": None}}) + "\n")
PY

echo
echo "\$ watcloud notify send-batch batch.jsonl   # 41 messages, rate limit 25/s, 20 per connection"
SECONDS=0
watcloud notify send-batch "$tmp/batch.jsonl" > "$tmp/run1.txt" && rc=0 || rc=$?
head -n 3 "$tmp/run1.txt"; echo "  ..."; grep -E "failed|sent," "$tmp/run1.txt" | tail -n 3
echo "exit code $rc (1: a recipient was refused permanently), about ${SECONDS} s"
echo stats >&"${RELAY[1]}"; read -r -u "${RELAY[0]}" stats
echo "relay saw: $stats"

echo
echo "\$ watcloud notify send-batch batch.jsonl   # again: the outbox knows what was sent"
watcloud notify send-batch "$tmp/batch.jsonl" | tail -n 1 || true
echo stats >&"${RELAY[1]}"; read -r -u "${RELAY[0]}" stats
echo "relay saw: $stats"

echo
echo "\$ watcloud notify send-batch more.jsonl -c notify.yaml   # 60 more, no client rate limit"
sed 's/Scratch usage report/Quota reminder/' "$tmp/batch.jsonl" | head -n 40 > "$tmp/more.jsonl"
sed 's/Scratch usage report/Disk reminder/; /ghost/d' "$tmp/batch.jsonl" | head -n 20 >> "$tmp/more.jsonl"
printf 'smtp:\n  pool_size: 4\n  backoff_base: 0.2\n  backoff_cap: 1.0\n  max_attempts: 8\n' > "$tmp/notify.yaml"
echo reset >&"${RELAY[1]}"; read -r -u "${RELAY[0]}" _
WATCLOUD_SMTP_RATE_PER_SECOND="" watcloud notify send-batch "$tmp/more.jsonl" -c "$tmp/notify.yaml" | tail -n 1 || true
echo stats >&"${RELAY[1]}"; read -r -u "${RELAY[0]}" stats
echo "relay saw: $stats"
echo "(the relay said 421 and hung up; the pool reconnected, backed off and retried: none lost, none twice)"
echo quit >&"${RELAY[1]}"

echo
echo "\$ watcloud notify preview outage --data outage.json --dark --text"
python -c "import json, importlib.resources as r; print(r.files('watcloud.notify').joinpath('samples/outage.json').read_text())" > "$tmp/outage.json"
(cd "$tmp" && watcloud notify preview outage --data outage.json --dark --text)
