"""Broken link detectors: internal links (with fragments) at build time, external links with a
grace period, login-aware checks and per-host limits.

Stages, as in lychee: `extract` (each page read and parsed once), `resolve` (URL -> file in a
Next.js static export), `internal` / `external` (checking), `report` (text, JSON, GitHub
annotations, Markdown).
"""
