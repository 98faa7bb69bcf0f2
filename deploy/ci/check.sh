#!/usr/bin/env bash
# The one step of action.yml that runs a check; reads the action's inputs from INPUT_*.
#
#   INPUT_CHECK=style           watcloud style check INPUT_PATHS -o github
#   INPUT_CHECK=links-internal  watcloud links internal INPUT_SITE --github-annotations
#   INPUT_CHECK=links-external  watcloud links external INPUT_SITE --github-annotations --state INPUT_STATE
#
# Findings become annotations on the pull request (::error lines); the links checks also write
# a Markdown table to the job summary. The check's exit code is the step's (1 = findings,
# 2 = bad input or config) and is also written to the step output `exit-code`.
set -uo pipefail
check=${INPUT_CHECK:-}
config=${INPUT_CONFIG:-}
base_path=${INPUT_BASE_PATH:-}
site=${INPUT_SITE:-out}
args=()
case $check in
  style)
    args=(style check --output github)
    [[ -n ${INPUT_CHANGED_SINCE:-} ]] && args+=(--changed-since "$INPUT_CHANGED_SINCE")
    [[ -n $config ]] && args+=(--config "$config")
    read -ra paths <<<"${INPUT_PATHS:-.}"
    args+=("${paths[@]}")
    ;;
  links-internal | links-external)
    args=(links "${check#links-}" "$site" --github-annotations)
    [[ -n $base_path ]] && args+=(--base-path "$base_path")
    [[ -n $config ]] && args+=(--config "$config")
    [[ $check == links-external ]] && args+=(--state "${INPUT_STATE:-.watcloud/links.sqlite3}")
    [[ -n ${GITHUB_STEP_SUMMARY:-} ]] && args+=(--markdown "$GITHUB_STEP_SUMMARY")
    ;;
  *)
    echo "::error title=watcloud action::input 'check' must be style, links-internal or links-external (got '$check')"
    exit 2
    ;;
esac
echo "watcloud ${args[*]}"
watcloud "${args[@]}"
rc=$?
[[ -n ${GITHUB_OUTPUT:-} ]] && echo "exit-code=$rc" >>"$GITHUB_OUTPUT"
exit $rc
