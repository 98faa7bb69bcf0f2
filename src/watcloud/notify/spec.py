"""Messages from JSON specs (the `send-batch` JSONL lines, `send`'s options): validated, one
`InputError` naming where the bad key is."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from watcloud.core.errors import InputError
from watcloud.notify.model import Message

SPEC_KEYS = {"to", "subject", "text", "html", "template", "data", "id", "headers", "bcc"}


def message_from_spec(spec: Any, where: str = "message") -> Message:
    """A `Message` from a JSON-like object: `to` (an address or a list), `subject`, `text`
    and/or `html`, or `template` + `data`; optional `id`, `headers`, `bcc`. Raises
    `InputError` naming `where` on a bad key or value."""
    from watcloud.notify.templating import render

    if not isinstance(spec, dict):
        raise InputError(f"{where}: expected a JSON object")
    unknown = set(spec) - SPEC_KEYS
    if unknown:
        raise InputError(f"{where}: unknown key(s): {', '.join(sorted(unknown))}")
    to = spec.get("to")
    if isinstance(to, str):
        to = [to]
    if not to or not isinstance(to, list) or not all(isinstance(t, str) and "@" in t for t in to):
        raise InputError(f"{where}: 'to' must be an address or a list of addresses")
    headers = spec.get("headers") or {}
    if not isinstance(headers, dict):
        raise InputError(f"{where}: 'headers' must be an object")
    bcc = spec.get("bcc", False)
    if not isinstance(bcc, bool):
        raise InputError(f"{where}: 'bcc' must be true or false")
    msg_id = spec.get("id")
    if msg_id is not None and not isinstance(msg_id, str):
        msg_id = str(msg_id)
    if "template" in spec:
        if "text" in spec or "html" in spec:
            raise InputError(f"{where}: give 'template' and 'data', or 'text'/'html', not both")
        try:
            rendered = render(str(spec["template"]), spec.get("data") or {})
        except InputError as exc:
            raise InputError(f"{where}: {exc}") from None
        msg = rendered.to_message(to, id=msg_id, headers=headers, bcc=bcc)
        if spec.get("subject"):
            # A new subject changes the content-derived id (re-derived when none was given).
            msg = dataclasses.replace(msg, subject=str(spec["subject"]), id=msg_id)
        return msg
    if not spec.get("subject"):
        raise InputError(f"{where}: 'subject' is required (or use 'template')")
    text, html = spec.get("text"), spec.get("html")
    if text is None and html is None:
        raise InputError(f"{where}: give 'text' and/or 'html' (or 'template' and 'data')")
    return Message(
        to=list(to),
        subject=str(spec["subject"]),
        text=text,
        html=html,
        id=msg_id,
        headers={str(k): str(v) for k, v in headers.items()},
        bcc=bcc,
    )


def messages_from_jsonl(text: str, where: str = "<stdin>") -> list[Message]:
    """One `Message` per non-blank line of a JSONL text (see `message_from_spec`); an error
    names `where:LINE`; an empty batch is an error."""
    batch: list[Message] = []
    for n, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            spec = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InputError(f"{where}:{n}: invalid JSON: {exc.msg}") from None
        batch.append(message_from_spec(spec, f"{where}:{n}"))
    if not batch:
        raise InputError(f"{where}: no messages")
    return batch
