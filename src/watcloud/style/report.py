"""Output formats: text, JSON, GitHub Actions annotations, SARIF 2.1.0, rdjsonl (reviewdog)."""

from __future__ import annotations

import enum
from collections.abc import Sequence
from typing import TYPE_CHECKING

from watcloud import __version__
from watcloud.core.output import github_annotation, to_json
from watcloud.style.model import Finding

if TYPE_CHECKING:  # rules.py pulls in yaml, pydantic and the grammar checks
    from watcloud.style.rules import Rule


class Format(enum.StrEnum):
    text = "text"
    json = "json"
    github = "github"
    sarif = "sarif"
    rdjsonl = "rdjsonl"


def render(fmt: Format, findings: Sequence[Finding], rules: Sequence[Rule]) -> str:
    if fmt == Format.text:
        return "".join(text_line(f) + "\n" for f in findings)
    if fmt == Format.json:
        return to_json([f.to_dict() for f in findings]) + "\n"
    if fmt == Format.github:
        return "".join(github_line(f) + "\n" for f in findings)
    if fmt == Format.sarif:
        return to_json(sarif(findings, rules)) + "\n"
    return "".join(to_json(rdjson(f), indent=None) + "\n" for f in findings)


def text_line(f: Finding) -> str:
    tail = f" ({f.suggestion})" if f.suggestion else ""
    return f"{f.path}:{f.line}:{f.column} {f.rule} {f.message}{tail}"


def github_line(f: Finding) -> str:
    level = {"error": "error", "warning": "warning"}.get(f.severity, "notice")
    msg = f.message + (f" (suggestion: {f.suggestion})" if f.suggestion else "")
    return github_annotation(
        level,
        msg,
        file=f.path,
        line=f.line,
        col=f.column,
        end_line=f.end_line,
        end_column=f.end_column,
        title=f.rule,
    )


def sarif(findings: Sequence[Finding], rules: Sequence[Rule]) -> dict[str, object]:
    level = {"error": "error", "warning": "warning", "suggestion": "note"}
    known = {r.code: r for r in rules}
    used = sorted({f.rule for f in findings} | set(known))
    rule_objs = []
    for code in used:
        r = known.get(code)
        obj: dict[str, object] = {"id": code}
        if r is not None:
            obj["shortDescription"] = {"text": r.description or r.message}
            obj["defaultConfiguration"] = {"level": level[r.severity]}
        rule_objs.append(obj)
    index = {code: i for i, code in enumerate(used)}
    results = []
    for f in findings:
        result: dict[str, object] = {
            "ruleId": f.rule,
            "ruleIndex": index[f.rule],
            "level": level.get(f.severity, "warning"),
            "message": {"text": f.message},
            "locations": [
                {
                    "physicalLocation": {
                        "artifactLocation": {"uri": f.path},
                        "region": {
                            "startLine": f.line,
                            "startColumn": f.column,
                            "endLine": f.end_line,
                            "endColumn": f.end_column,
                        },
                    }
                }
            ],
        }
        if f.fix is not None:
            result["fixes"] = [
                {
                    "description": {"text": f"Replace with '{f.fix}'"},
                    "artifactChanges": [
                        {
                            "artifactLocation": {"uri": f.path},
                            "replacements": [
                                {
                                    "deletedRegion": {
                                        "startLine": f.line,
                                        "startColumn": f.column,
                                        "endLine": f.end_line,
                                        "endColumn": f.end_column,
                                    },
                                    "insertedContent": {"text": f.fix},
                                }
                            ],
                        }
                    ],
                }
            ]
        results.append(result)
    return {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "watcloud-style",
                        "version": __version__,
                        "informationUri": "https://cloud.watonomous.ca",
                        "rules": rule_objs,
                    }
                },
                "columnKind": "unicodeCodePoints",
                "results": results,
            }
        ],
    }


def rdjson(f: Finding) -> dict[str, object]:
    """One reviewdog Diagnostic (rdjsonl: one JSON object per line)."""
    sev = {"error": "ERROR", "warning": "WARNING"}.get(f.severity, "INFO")
    rng = {
        "start": {"line": f.line, "column": f.column},
        "end": {"line": f.end_line, "column": f.end_column},
    }
    diag: dict[str, object] = {
        "message": f.message,
        "location": {"path": f.path, "range": rng},
        "severity": sev,
        "source": {"name": "watcloud-style"},
        "code": {"value": f.rule},
    }
    if f.fix is not None:
        diag["suggestions"] = [{"range": rng, "text": f.fix}]
    return diag
