"""Website CI: the composite action's check step (deploy/ci/check.sh, run as the action runs
it) and the pre-commit hooks (`pre-commit try-repo` against a sample website repository with
a planted error, and against the clean one)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import yaml

from tests.conftest import missing, require_binary
from tests.deploy.conftest import DEPLOY, ROOT

GOOD_MD = "# Setup\n\nThis page explains how to run jobs on the cluster.\n"
BAD_MD = "# Setup\n\nThis page explains how to run jobs on the Watcloud cluster.\n"
PAGE = '<html><body><p id="top">{body}</p></body></html>\n'


def git(cwd: Path, *args: str) -> None:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.org",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.org",
        "GIT_AUTHOR_DATE": "2026-01-01T00:00:00Z",
        "GIT_COMMITTER_DATE": "2026-01-01T00:00:00Z",
    }
    subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True)


def website(root: Path, *, planted: bool, external: str = "") -> Path:
    """A website repository: Markdown sources in docs/, the exported site in out/."""
    (root / "docs").mkdir(parents=True)
    (root / "out").mkdir()
    (root / "docs/setup.md").write_text(BAD_MD if planted else GOOD_MD)
    (root / "docs/index.md").write_text(GOOD_MD)
    target = "/missing.html" if planted else "/about.html#top"
    (root / "out/index.html").write_text(PAGE.format(body=f'<a href="{target}">about</a>'))
    (root / "out/about.html").write_text(PAGE.format(body=f'<a href="{external}">x</a>'))
    git(root, "init", "-q", ".")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "site")
    return root


def check(cwd: Path, tmp_path: Path, **inputs: str) -> tuple[subprocess.CompletedProcess[str], str]:
    out, summary = tmp_path / "github_output", tmp_path / "summary.md"
    out.write_text("")
    summary.write_text("")
    env = {
        **os.environ,
        "GITHUB_OUTPUT": str(out),
        "GITHUB_STEP_SUMMARY": str(summary),
        **{f"INPUT_{k.upper()}": v for k, v in inputs.items()},
    }
    proc = subprocess.run(
        ["bash", str(DEPLOY / "ci/check.sh")], cwd=cwd, env=env, capture_output=True, text=True
    )
    assert f"exit-code={proc.returncode}" in out.read_text() or proc.returncode == 2
    return proc, summary.read_text()


def test_action_style_annotates_the_planted_error(tmp_path: Path) -> None:
    bad = website(tmp_path / "bad", planted=True)
    proc, _ = check(bad, tmp_path, check="style", paths="docs")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert re.search(
        r"^::error file=docs/setup.md,line=3,.*title=brand-watcloud", proc.stdout, re.M
    )
    good = website(tmp_path / "good", planted=False)
    proc, _ = check(good, tmp_path, check="style", paths="docs")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "::error" not in proc.stdout


def test_action_links_internal_annotates_and_summarises(tmp_path: Path) -> None:
    bad = website(tmp_path / "bad", planted=True)
    proc, summary = check(bad, tmp_path, check="links-internal", site="out")
    assert proc.returncode == 1
    assert "::error file=out/index.html,line=1,title=broken link (not-found)::/missing.html" in (
        proc.stdout
    )
    assert "| `/missing.html` | not-found |" in summary
    good = website(tmp_path / "good", planted=False)
    proc, _ = check(good, tmp_path, check="links-internal", site="out")
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.fixture
def http_server() -> Iterator[str]:
    class Handler(BaseHTTPRequestHandler):
        def do_HEAD(self) -> None:
            self.send_response(200 if self.path == "/ok" else 404)
            self.send_header("Content-Length", "0")
            self.end_headers()

        do_GET = do_HEAD

        def log_message(self, *args: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


def test_action_links_external_keeps_state_between_runs(tmp_path: Path, http_server: str) -> None:
    """A dead link warns on the first scheduled run and fails once it failed twice in a row;
    the state file (cached by the action between runs) carries the count."""
    site = website(tmp_path / "site", planted=False, external=f"{http_server}/gone")
    (site / "links.yaml").write_text("external:\n  fail_after_runs: 2\n  attempts: 1\n")
    inputs = {"check": "links-external", "site": "out", "config": "links.yaml"}
    proc, summary = check(site, tmp_path, **inputs)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "::warning file=out/about.html,line=1" in proc.stdout
    assert (site / ".watcloud/links.sqlite3").exists()
    proc, summary = check(site, tmp_path, **inputs)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "::error file=out/about.html,line=1" in proc.stdout
    assert f"{http_server}/gone" in summary


def test_action_rejects_an_unknown_check(tmp_path: Path) -> None:
    proc, _ = check(tmp_path, tmp_path, check="spelling")
    assert proc.returncode == 2 and "must be style, links-internal or links-external" in (
        proc.stdout
    )


def test_action_passes_every_input_the_step_reads() -> None:
    action = yaml.safe_load((ROOT / "action.yml").read_text())
    assert action["runs"]["using"] == "composite"
    declared = set(action["inputs"])
    text = (ROOT / "action.yml").read_text()
    used = set(re.findall(r"\$\{\{\s*inputs\.([a-z-]+)\s*\}\}", text))
    assert used == declared  # every input is used, and nothing undeclared is read
    (step,) = [s for s in action["runs"]["steps"] if s.get("id") == "check"]
    script = (DEPLOY / "ci/check.sh").read_text()
    read = set(re.findall(r"\bINPUT_([A-Z_]+)", script))
    assert read == {k.removeprefix("INPUT_") for k in step["env"]}
    assert step["run"] == 'bash "$GITHUB_ACTION_PATH/deploy/ci/check.sh"'
    assert "outputs.exit-code" in action["outputs"]["exit-code"]["value"]


def test_hook_manifest_validates_and_the_check_can_fail(tmp_path: Path) -> None:
    if shutil.which("pre-commit") is None:
        missing("pre-commit not installed (pip install -e '.[test]')")
    manifest = ROOT / ".pre-commit-hooks.yaml"
    proc = subprocess.run(
        ["pre-commit", "validate-manifest", str(manifest)], capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stdout
    hooks = {h["id"]: h for h in yaml.safe_load(manifest.read_text())}
    assert hooks["watcloud-links-external"]["stages"] == ["manual"]
    bad = tmp_path / "hooks.yaml"
    bad.write_text(manifest.read_text().replace("pass_filenames: false", "pass_filenames: no-"))
    proc = subprocess.run(
        ["pre-commit", "validate-manifest", str(bad)], capture_output=True, text=True
    )
    assert proc.returncode == 1 and "pass_filenames" in proc.stdout


# pre-commit try-repo ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def try_repo_runs(
    tmp_path_factory: pytest.TempPathFactory,
) -> dict[str, subprocess.CompletedProcess[str]]:
    """`pre-commit try-repo THIS_PROJECT --all-files` (every hook of the default stage) in the
    planted and in the clean website. try-repo installs the hooks' environment in a temporary
    store each time (pip, from PyPI): about 25 s per run, so two runs in all. The project is
    copied into a committed repository first so that uncommitted work is what gets tested."""
    require_binary("git")
    if shutil.which("pre-commit") is None:
        missing("pre-commit not installed (pip install -e '.[test]')")
    repo = tmp_path_factory.mktemp("hook-repo")
    for name in ("pyproject.toml", "README.md", ".pre-commit-hooks.yaml"):
        shutil.copy2(ROOT / name, repo / name)
    shutil.copytree(ROOT / "src", repo / "src", ignore=shutil.ignore_patterns("__pycache__"))
    git(repo, "init", "-q", ".")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "watcloud")
    sites = tmp_path_factory.mktemp("sites")
    runs = {}
    for name, planted in (("planted", True), ("clean", False)):
        runs[name] = subprocess.run(
            ["pre-commit", "try-repo", str(repo), "--all-files", "--color", "never"],
            cwd=website(sites / name, planted=planted),
            env={**os.environ, "PRE_COMMIT_HOME": str(tmp_path_factory.mktemp("home"))},
            capture_output=True,
            text=True,
            timeout=900,
        )
    return runs


def hook_result(output: str, hook: str) -> str:
    """The block of try-repo's output for one hook: its status line and what it printed."""
    blocks = re.split(r"\n(?=\S[^\n]*\.{3,}(?:Passed|Failed|Skipped)\n)", output)
    (block,) = [b for b in blocks if f"- hook id: {hook}\n" in b or b.startswith(hook)]
    return block


@pytest.mark.timeout(900)  # the module's two try-repo runs happen in the first one's setup
@pytest.mark.parametrize(
    ("hook", "finding"),
    [
        ("watcloud-style", "docs/setup.md:3:"),
        ("watcloud-style-fix", "files were modified by this hook"),
        ("watcloud-links-internal", "BROKEN /missing.html"),
    ],
)
def test_pre_commit_hook_fails_on_the_planted_error(
    try_repo_runs: dict[str, subprocess.CompletedProcess[str]], hook: str, finding: str
) -> None:
    run = try_repo_runs["planted"]
    assert run.returncode == 1, run.stdout + run.stderr
    block = hook_result(run.stdout, hook)
    assert "Failed" in block and finding in block, run.stdout


def test_pre_commit_hooks_pass_on_the_clean_tree(
    try_repo_runs: dict[str, subprocess.CompletedProcess[str]],
) -> None:
    run = try_repo_runs["clean"]
    assert run.returncode == 0, run.stdout + run.stderr
    passed = re.findall(r"^(watcloud .+?)\.{3,}Passed$", run.stdout, re.M)
    assert len(passed) == 3, run.stdout  # style, style --fix, links internal
    assert "links external" not in run.stdout  # manual stage: only on a schedule
