"""Text from an upload or a link, made safe for Streamlit's markdown: shown as typed, never as a link, an image,
emphasis, a colour or an icon. Streamlit renders markdown in almost every element (messages, captions, widget
labels and help), so every such text passes through `plain` (or `code`, for a name shown as code)."""
from __future__ import annotations

import re

# CommonMark lets any ASCII punctuation be backslash-escaped: that stops links, images, emphasis, HTML,
# Streamlit's :icon: and :colour[...] directives and $math$. It does not stop GFM's bare links (www.x.y,
# http://..., a@b.c), which are found in the text after escapes are read: those are shown as code instead.
_PUNCTUATION = re.compile(r"""([!"#$%&'()*+,\-./:;<=>?@\[\\\]^_`{|}~])""")
_BARE_LINK = re.compile(r"""(?i)\b(?:[a-z][a-z0-9+.-]*://|www\.)\S*[^\s.,;:!?)\]}'"]|[\w.+-]+@[\w-]+(?:\.[\w-]+)+""")


def plain(text: object) -> str:
    """`text` as literal markdown text (anything a browser would make a link of, as code); its line breaks kept."""
    text, parts, last = str(text), [], 0
    for link in _BARE_LINK.finditer(text):
        parts += [_escaped(text[last:link.start()]), code(link.group())]
        last = link.end()
    parts.append(_escaped(text[last:]))
    return "".join(parts)


def _escaped(text: str) -> str:
    return _PUNCTUATION.sub(r"\\\1", text).replace("\n", "  \n")


def code(text: object) -> str:
    """`text` as an inline code span (nothing inside a code span is markdown), on one line."""
    text = " ".join(str(text).split())
    fence = "`" * (max((len(run) for run in re.findall(r"`+", text)), default=0) + 1)
    return f"{fence} {text} {fence}" if text else ""
