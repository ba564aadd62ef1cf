"""Text from an upload or a link, made safe for Streamlit's markdown: shown as typed, never as a link, an image,
emphasis, a colour or an icon. Streamlit renders markdown in almost every element (messages, captions, widget
labels and help), so every such text passes through `plain` (or `code`, for a name shown as code)."""
from __future__ import annotations

import re

# CommonMark lets any ASCII punctuation be backslash-escaped. Escaping all of it also breaks GFM's bare links
# (www., http:, a@b.c), Streamlit's :icon: and :colour[...] directives, and $math$.
_PUNCTUATION = re.compile(r"""([!"#$%&'()*+,\-./:;<=>?@\[\\\]^_`{|}~])""")


def plain(text: object) -> str:
    """`text` as literal markdown text; its line breaks kept."""
    return _PUNCTUATION.sub(r"\\\1", str(text)).replace("\n", "  \n")


def code(text: object) -> str:
    """`text` as an inline code span (nothing inside a code span is markdown), on one line."""
    text = " ".join(str(text).split())
    fence = "`" * (max((len(run) for run in re.findall(r"`+", text)), default=0) + 1)
    return f"{fence} {text} {fence}" if text else ""
