"""Notice text, HTML or email -> a `Notice` with its question sections.

Three shapes are understood:
- the notice page: "Service Interruption Notice", the title (first <h3>), then question headings
  ("Where is this happening?", "What is happening?", ...) in any order, each followed by its
  answer;
- the older homepage style, where the questions run inline: "What is happening? Power will ...
  When is this happening? Saturday ...";
- the email PlantOps sends to subscribers: the subject is the title, the body is one of the above.

Pure: no network, no clock.
"""

from __future__ import annotations

import email
import email.policy
import re
from dataclasses import dataclass, field
from datetime import date
from email.message import EmailMessage
from email.utils import parsedate_to_datetime
from html.parser import HTMLParser

from watcloud.core.timez import CLUSTER_TZ

# Canonical section keys and the headings that introduce them.
SECTION_PATTERNS: list[tuple[str, str]] = [
    ("where", r"where\s+is\s+(?:this|it)\s+happening\s*\??"),
    ("what", r"what\s+is\s+happening\s*\??"),
    ("when", r"when\s+is\s+(?:this|it)\s+happening\s*\??"),
    (
        "how",
        r"how\s+(?:does|will)\s+this\s+affect\s+(?:the\s+)?(?:uw\s+)?(?:community|me|you)\s*\??",
    ),
    ("contact", r"who\s+(?:to|do\s+i|should\s+i)\s+contact(?:\s+for\s+more\s+information)?\s*\??"),
    ("contact", r"questions\s+or\s+concerns\s*(?:[?:]|$)"),
    ("todo", r"what\s+(?:do\s+i\s+(?:have|need)\s+to\s+do|you\s+need\s+to\s+do)\s*[?:]?"),
]
# A heading starts a line, or (the homepage's inline style) follows the end of a sentence: the
# "questions or concerns" inside "Please direct any questions or concerns to ..." is no heading.
_HEADING_RE = re.compile(
    r"(?:^[ \t>*#•-]*|(?<=[.!?:)])[ \t]+)(?:"
    + "|".join(f"(?P<s{i}>{p})" for i, (_, p) in enumerate(SECTION_PATTERNS))
    + ")",
    re.IGNORECASE | re.MULTILINE,
)
BANNER = "service interruption notice"


@dataclass
class Notice:
    """One notice as read: title, question sections and the whole text."""

    title: str
    text: str
    sections: dict[str, str] = field(default_factory=dict)
    id: str | None = None
    url: str | None = None
    posted: date | None = None
    style: str = "page"  # page | homepage | email | text

    def section(self, key: str) -> str:
        return self.sections.get(key, "")

    def body_without_title(self) -> str:
        return "\n\n".join(v for v in self.sections.values() if v) or self.text


class _TextExtractor(HTMLParser):
    BLOCK = frozenset(
        [
            "p",
            "div",
            "br",
            "h1",
            "h2",
            "h3",
            "h4",
            "h5",
            "h6",
            "li",
            "ul",
            "ol",
            "tr",
            "table",
            "section",
            "article",
            "header",
            "footer",
            "title",
            "blockquote",
            "pre",
            "dt",
            "dd",
            "hr",
        ]
    )
    SKIP = frozenset({"script", "style", "noscript", "head"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.h3: list[str] = []
        self._skip = 0
        self._in_h3 = False
        self._h3_buf: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.SKIP:
            self._skip += 1
        if tag in self.BLOCK:
            self.parts.append("\n\n")
        if tag == "h3":
            self._in_h3 = True
            self._h3_buf = []

    def handle_endtag(self, tag: str) -> None:
        if tag in self.SKIP and self._skip:
            self._skip -= 1
        if tag in self.BLOCK:
            self.parts.append("\n\n")
        if tag == "h3" and self._in_h3:
            self._in_h3 = False
            self.h3.append(" ".join("".join(self._h3_buf).split()))

    def handle_data(self, data: str) -> None:
        if self._skip:
            return
        self.parts.append(data)
        if self._in_h3:
            self._h3_buf.append(data)


def html_to_text(html: str) -> tuple[str, list[str]]:
    """Readable text of an HTML page (blocks on their own lines) and the text of its <h3>s."""
    parser = _TextExtractor()
    parser.feed(html)
    parser.close()
    raw = "".join(parser.parts).replace("\xa0", " ")
    lines = [" ".join(line.split()) for line in raw.split("\n")]
    text = re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
    return text, parser.h3


def _split_sections(text: str) -> tuple[str, dict[str, str], bool]:
    """(text before the first heading, sections, whether the headings ran inline)."""
    matches = list(_HEADING_RE.finditer(text))
    sections: dict[str, str] = {}
    inline = False
    for i, m in enumerate(matches):
        key = next(SECTION_PATTERNS[int(k[1:])][0] for k, v in m.groupdict().items() if v)
        end = matches[i + 1].start() if i + 1 < len(matches) else len(text)
        value = text[m.end() : end].strip(" \t:*-\n")
        # A heading followed by text on the same line is the homepage's inline style.
        line_rest = text[m.end() : text.find("\n", m.end()) if "\n" in text[m.end() :] else None]
        if line_rest.strip():
            inline = True
        if key in sections and value:
            sections[key] = f"{sections[key]}\n\n{value}"
        elif value or key not in sections:
            sections[key] = value
    head = text[: matches[0].start()] if matches else text
    return head, sections, inline


_TRAILER_RE = re.compile(
    r"\n\s*(?:this work must be performed at this time.*|unsubscribe.*|--\s*\n.*)$",
    re.IGNORECASE | re.DOTALL,
)
_HOMEPAGE_DATE_RE = re.compile(
    r"^(?:[A-Z][a-z]{2,8}\.?\s+\d{1,2},\s+\d{4})(?=\S)"
)  # "Dec. 7, 2017Multiple Service ..." (date glued to the title on the old homepage)


def parse_text(
    text: str,
    *,
    title: str | None = None,
    id: str | None = None,
    url: str | None = None,
    posted: date | None = None,
    style: str | None = None,
) -> Notice:
    """A notice from its text as a person reads it (title first, then the sections)."""
    text = text.replace("\r\n", "\n").replace("\xa0", " ").strip()
    head, sections, inline = _split_sections(text)
    if title is None:
        title = ""
        for line in head.splitlines():
            line = line.strip()
            if not line or line.lower().startswith("source:") or line.lower() == BANNER:
                continue
            title = _HOMEPAGE_DATE_RE.sub("", line).strip()
            break
    if not sections:
        # No question headings at all: keep the body (minus the title) as "what".
        rest = head.split(title, 1)[1] if title and title in head else head
        sections = {"what": rest.strip()}
    if contact := sections.get("contact"):
        # The contact is its first paragraph; whatever follows it is more of the notice
        # ("Please direct questions to ...", then the rest of an email), never dropped.
        first, _, rest = _TRAILER_RE.sub("", contact).strip().partition("\n\n")
        sections["contact"] = first.strip()
        if rest.strip():
            sections["more"] = (
                f"{sections['more']}\n\n{rest.strip()}" if "more" in sections else rest.strip()
            )
    return Notice(
        title=title.strip(),
        text=text,
        sections=sections,
        id=id,
        url=url,
        posted=posted,
        style=style or ("homepage" if inline else "page"),
    )


def parse_html(
    html: str, *, id: str | None = None, url: str | None = None, posted: date | None = None
) -> Notice:
    """A notice page: the title is the first <h3> (else the first line after the banner)."""
    text, h3s = html_to_text(html)
    title = next((h for h in h3s if h and h.lower() != BANNER), None)
    return parse_text(text, title=title, id=id, url=url, posted=posted, style="page")


def unreadable(text: str) -> str | None:
    """Why `text` is not readable text (binary data, a wrong encoding), or None."""
    sample = text[:20000]
    if not sample.strip():
        return None
    bad = sum(
        1
        for c in sample
        if c == "\ufffd" or (ord(c) < 32 and c not in "\n\r\t\f") or 0x7F <= ord(c) < 0xA0
    )
    if "\x00" in sample or bad > 0.02 * len(sample):
        return f"binary or garbled text ({bad} unreadable characters in the first {len(sample)})"
    letters = sum(c.isalpha() for c in sample)
    visible = sum(not c.isspace() for c in sample)
    if visible >= 40 and letters < 0.5 * visible:
        return f"garbled text (only {letters} letters in {visible} visible characters)"
    return None


def garbled(notice: Notice) -> str | None:
    """Why a parsed notice cannot be trusted, or None."""
    if why := unreadable(f"{notice.title}\n{notice.text}"):
        return why
    if not notice.title:
        return "no title"
    headed = [k for k in ("where", "what", "when", "how") if notice.sections.get(k)]
    if not headed:
        return "none of the question sections ('What is happening?', ...) was found"
    return None


def looks_like_html(data: str) -> bool:
    return bool(re.search(r"<(?:html|body|div|p|h[1-6]|br|a)\b", data[:4000], re.IGNORECASE))


def parse_email(raw: bytes | str, *, id: str | None = None) -> Notice:
    """A notice email: Subject is the title; text/plain body preferred, else the HTML part."""
    if isinstance(raw, str):
        raw = raw.encode("utf-8", "surrogateescape")
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(msg, EmailMessage)
    subject = " ".join(str(msg.get("Subject", "")).split())
    subject = re.sub(r"^(?:(?:re|fwd?|fw)\s*:\s*)+", "", subject, flags=re.IGNORECASE)
    subject = re.sub(r"^\[[^\]]*\]\s*", "", subject)  # list tags like "[Electrical]"
    posted = None
    if msg.get("Date"):
        try:
            posted = parsedate_to_datetime(str(msg["Date"])).astimezone(CLUSTER_TZ).date()
        except (TypeError, ValueError):
            posted = None
    body_part = msg.get_body(preferencelist=("plain", "html"))
    body = ""
    if body_part is not None:
        content = body_part.get_content()
        body = content if isinstance(content, str) else content.decode("utf-8", "replace")
        if body_part.get_content_type() == "text/html":
            body, _ = html_to_text(body)
    if id is None and msg.get("Message-ID"):
        id = str(msg["Message-ID"]).strip("<> ")
    urls = re.findall(r"https?://\S*notice\.php\?ID=\d+", body)
    notice = parse_text(body, title=subject or None, id=id, posted=posted, style="email")
    if urls:
        notice.url = urls[0].rstrip(").,>")
    return notice


def notice_id_from_url(url: str) -> str | None:
    m = re.search(r"[?&]ID=(\d+)", url, re.IGNORECASE)
    return m.group(1) if m else None
