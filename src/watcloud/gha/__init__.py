"""GitHub Actions run tracing: a workflow run as a trace, `needs:` dependencies as flow arrows.

Pure parts: `workflow` (read a workflow file), `mapping` (API jobs -> workflow jobs -> edges),
`analysis` (critical path, waiting times), `trace` (Perfetto protobuf and Chrome JSON).
I/O: `github` (REST API client; rate limits, headers and pagination from `core.github`).
Library calls: `tracer.trace`, `tracer.write_trace`, `report.summary_json|summary_text`
(docs/gha.md, Library). `cli` is the thin shell.
"""
