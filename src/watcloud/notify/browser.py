"""Check rendered emails in real headless Chromium: light and dark `prefers-color-scheme`,
screenshots, and the WCAG contrast of every piece of text against what is behind it.

Chromium is started once per page and scheme with `--blink-settings=preferredColorScheme=N`
(0 = dark, 1 = light), `--dump-dom` and `--screenshot`: a script added to the page measures
computed colours after layout and writes them into the DOM, which `--dump-dom` prints.
Stdlib only; the `chromium` binary comes from Debian.
"""

from __future__ import annotations

import html as htmllib
import json
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
    "--force-device-scale-factor=1",
]
SCHEMES = {"dark": 0, "light": 1}  # Blink's preferredColorScheme values
WCAG_AA = 4.5

# Runs in the page after load: every element with its own visible text, its colour, the
# background it sits on (the nearest ancestor with an opaque background-color, blended over
# what is below when translucent), and the logo's average opaque colour vs its background.
PROBE_JS = r"""
(function () {
  function parse(c) {
    var m = c.match(/rgba?\(([^)]+)\)/); if (!m) return [0, 0, 0, 0];
    var p = m[1].split(/[ ,\/]+/).filter(Boolean).map(Number);
    return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1];
  }
  function over(top, below) {
    var a = top[3];
    return [0, 1, 2].map(function (i) { return top[i] * a + below[i] * (1 - a); }).concat([1]);
  }
  function canvasColour() {
    var dark = matchMedia('(prefers-color-scheme: dark)').matches;
    var cs = getComputedStyle(document.documentElement).colorScheme || 'normal';
    return (dark && cs.indexOf('dark') >= 0) ? [18, 18, 18, 1] : [255, 255, 255, 1];
  }
  function background(el) {
    var stack = [];
    for (var e = el; e && e.nodeType === 1; e = e.parentElement) {
      var c = parse(getComputedStyle(e).backgroundColor);
      if (c[3] > 0) { stack.push(c); if (c[3] >= 1) break; }
    }
    var base = (stack.length && stack[stack.length - 1][3] >= 1) ? stack.pop() : canvasColour();
    while (stack.length) base = over(stack.pop(), base);
    return base;
  }
  function visible(el) {
    var r = el.getBoundingClientRect();
    if (r.width < 1 || r.height < 1) return false;
    for (var e = el; e && e.nodeType === 1; e = e.parentElement) {
      var s = getComputedStyle(e);
      if (s.display === 'none' || s.visibility === 'hidden' || s.opacity === '0') return false;
    }
    return true;
  }
  var texts = [];
  var all = document.body.querySelectorAll('*');
  for (var i = 0; i < all.length; i++) {
    var el = all[i], own = '';
    for (var n = el.firstChild; n; n = n.nextSibling) if (n.nodeType === 3) own += n.textContent;
    own = own.replace(/\s+/g, ' ').trim();
    if (!own || !visible(el)) continue;
    var s = getComputedStyle(el);
    var fg = parse(s.color), bg = background(el);
    texts.push({tag: el.tagName.toLowerCase(), cls: el.className || '', text: own.slice(0, 60),
                fg: over(fg, bg).slice(0, 3), bg: bg.slice(0, 3),
                size: parseFloat(s.fontSize), weight: parseInt(s.fontWeight, 10) || 400});
  }
  var logos = [];
  var imgs = document.images;
  for (var j = 0; j < imgs.length; j++) {
    var img = imgs[j], info = {alt: img.alt, loaded: img.complete && img.naturalWidth > 0};
    if (info.loaded) {
      try {
        var cv = document.createElement('canvas');
        cv.width = img.naturalWidth; cv.height = img.naturalHeight;
        var ctx = cv.getContext('2d'); ctx.drawImage(img, 0, 0);
        var d = ctx.getImageData(0, 0, cv.width, cv.height).data, sum = [0, 0, 0], k = 0;
        for (var q = 0; q < d.length; q += 4) if (d[q + 3] > 200) {
          sum[0] += d[q]; sum[1] += d[q + 1]; sum[2] += d[q + 2]; k++; }
        info.colour = k ? sum.map(function (v) { return v / k; }) : null;
        info.opaque = k / (d.length / 4);
      } catch (err) { info.error = String(err); }
      info.bg = background(img.parentElement).slice(0, 3);
    }
    logos.push(info);
  }
  var bottom = 0, kids = document.body.children;
  for (var b = 0; b < kids.length; b++) {
    bottom = Math.max(bottom, kids[b].getBoundingClientRect().bottom);
  }
  var out = document.createElement('pre');
  out.id = '__contrast_probe__';
  out.style.display = 'none';
  out.textContent = JSON.stringify({
    dark: matchMedia('(prefers-color-scheme: dark)').matches,
    bodyBg: background(document.body).slice(0, 3),
    texts: texts, logos: logos,
    height: Math.ceil(bottom)
  });
  document.body.appendChild(out);
})();
"""


def luminance(rgb: list[float] | tuple[float, ...]) -> float:
    """WCAG relative luminance of an sRGB colour given as 0-255 channels."""

    def chan(v: float) -> float:
        c = v / 255.0
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (chan(v) for v in rgb[:3])
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: list[float] | tuple[float, ...], b: list[float] | tuple[float, ...]) -> float:
    """WCAG 2 contrast ratio, 1 to 21."""
    la, lb = sorted((luminance(a), luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


@dataclass
class TextSample:
    tag: str
    cls: str
    text: str
    fg: list[float]
    bg: list[float]
    size: float
    weight: int

    @property
    def ratio(self) -> float:
        return contrast(self.fg, self.bg)


@dataclass
class SchemeCheck:
    scheme: str
    dark_matched: bool  # what the page's matchMedia said: proves the emulation worked
    body_bg: list[float]
    texts: list[TextSample]
    logos: list[dict[str, Any]]
    screenshot: Path | None = None
    height: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def min_ratio(self) -> float:
        return min((t.ratio for t in self.texts), default=21.0)

    @property
    def worst(self) -> TextSample | None:
        return min(self.texts, key=lambda t: t.ratio, default=None)


def _probe(proc: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    m = re.search(r'<pre id="__contrast_probe__"[^>]*>(.*?)</pre>', proc.stdout, re.S)
    if proc.returncode != 0 or m is None:
        tail = (proc.stderr or "").strip().splitlines()[-3:]
        raise RuntimeError(f"chromium failed (exit {proc.returncode}): {' | '.join(tail)}")
    data: dict[str, Any] = json.loads(htmllib.unescape(m.group(1)))
    return data


def find_chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


def check_page(
    html: str,
    scheme: str,
    *,
    screenshot: Path | None = None,
    chromium: str | None = None,
    width: int = 680,
    height: int = 1100,
    timeout: float = 60.0,
) -> SchemeCheck:
    """Load `html` in headless Chromium with `prefers-color-scheme: scheme` and measure it."""
    exe = chromium or find_chromium()
    if exe is None:
        raise FileNotFoundError("chromium not found (Debian package: chromium)")
    page = html.replace("</body>", f"<script>{PROBE_JS}</script></body>", 1)
    with tempfile.TemporaryDirectory(prefix="watcloud-chromium-") as tmp:
        path = Path(tmp) / "page.html"
        path.write_text(page, encoding="utf-8")

        def run(extra: list[str], window_height: int) -> subprocess.CompletedProcess[str]:
            args = [
                exe,
                *CHROMIUM_FLAGS,
                f"--user-data-dir={tmp}/profile",
                f"--blink-settings=preferredColorScheme={SCHEMES[scheme]}",
                f"--window-size={width},{window_height}",
                *extra,
                path.as_uri(),
            ]
            return subprocess.run(args, capture_output=True, text=True, timeout=timeout)

        proc = run(["--dump-dom"], height)
        probe = _probe(proc)
        if screenshot is not None:
            # Second run, the window cut to the email's height (no empty canvas below it).
            screenshot.parent.mkdir(parents=True, exist_ok=True)
            shot_height = min(max(int(probe["height"]) + 24, 200), 6000)
            shot = run([f"--screenshot={screenshot}"], shot_height)
            if shot.returncode != 0 or not screenshot.exists():
                raise RuntimeError(f"chromium screenshot failed (exit {shot.returncode})")
    data = probe
    check = SchemeCheck(
        scheme=scheme,
        dark_matched=bool(data["dark"]),
        body_bg=data["bodyBg"],
        texts=[TextSample(**t) for t in data["texts"]],
        logos=data["logos"],
        screenshot=screenshot,
        height=int(data["height"]),
    )
    if check.dark_matched != (scheme == "dark"):
        check.problems.append(f"prefers-color-scheme emulation failed for {scheme}")
    for t in check.texts:
        if t.ratio < WCAG_AA:
            check.problems.append(
                f"contrast {t.ratio:.2f} < {WCAG_AA} for {t.tag}.{t.cls} {t.text!r}"
            )
    for logo in check.logos:
        if not logo.get("loaded"):
            check.problems.append(f"image {logo.get('alt')!r} did not load")
        elif logo.get("colour") and contrast(logo["colour"], logo["bg"]) < 3.0:
            ratio = contrast(logo["colour"], logo["bg"])
            check.problems.append(f"logo contrast {ratio:.2f} < 3 against its background")
    return check


def check_templates(
    samples: dict[str, dict[str, Any]],
    *,
    out_dir: Path | None = None,
    chromium: str | None = None,
) -> list[tuple[str, SchemeCheck]]:
    """Render each template with its sample data and check it in both schemes; screenshots
    go to `out_dir/<template>-<scheme>.png` when given."""
    from watcloud.notify.templating import render

    checks = []
    for name, data in samples.items():
        html = render(name, data, logo="data").html
        for scheme in ("light", "dark"):
            shot = out_dir / f"{name}-{scheme}.png" if out_dir is not None else None
            checks.append((name, check_page(html, scheme, screenshot=shot, chromium=chromium)))
    return checks


def sample_data() -> dict[str, dict[str, Any]]:
    """The bundled example data for every template (`watcloud/notify/samples/*.json`)."""
    from importlib import resources

    from watcloud.notify.templating import TEMPLATES

    base = resources.files("watcloud.notify").joinpath("samples")
    return {t: json.loads(base.joinpath(f"{t}.json").read_text("utf-8")) for t in TEMPLATES}


def contrast_report(
    out_dir: Path | None = None, chromium: str | None = None
) -> list[dict[str, Any]]:
    """Every bundled template in headless Chromium, light and dark (`check_templates` on the
    bundled samples): one JSON-ready row per template and scheme with the lowest WCAG
    contrast and its `problems` (empty when it passes); `WatcloudError` when Chromium is
    missing or fails."""
    from watcloud.core.errors import WatcloudError

    exe = chromium or find_chromium()
    if exe is None:
        raise WatcloudError("chromium not found (install the Debian package `chromium`)")
    try:
        checks = check_templates(sample_data(), out_dir=out_dir, chromium=exe)
    except (RuntimeError, OSError) as exc:
        raise WatcloudError(str(exc)) from None
    rows: list[dict[str, Any]] = []
    for name, c in checks:
        worst = c.worst
        rows.append(
            {
                "template": name,
                "scheme": c.scheme,
                "scheme_applied": c.dark_matched == (c.scheme == "dark"),
                "background": "#{:02x}{:02x}{:02x}".format(*(int(v) for v in c.body_bg)),
                "texts": len(c.texts),
                "min_contrast": round(c.min_ratio, 2),
                "worst": (worst.cls.split()[0] if worst.cls else worst.tag) if worst else "",
                "screenshot": str(c.screenshot) if c.screenshot else None,
                "problems": c.problems,
            }
        )
    return rows
