"""Invisible characters in user text (control codes, bidi overrides) shown as visible escapes."""
from __future__ import annotations

import unicodedata

# Names, descriptions and choice values come from spec files and profiles: an ESC there would
# let a file recolour, retitle or hyperlink the user's terminal (OSC 8), a CR overwrite a line,
# a newline end a LaTeX comment or a CSV record, a bidi override reorder what is shown. Every
# text output writes such characters as the escape a reader can see (``\x1b``, ``\n``, ``\u202e``).
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
_HIDDEN = frozenset(("Cc", "Cf", "Cs", "Zl", "Zp"))


def _shown(char: str) -> str:
    if char in _NAMED:
        return _NAMED[char]
    if unicodedata.category(char) not in _HIDDEN:
        return char
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code < 0x10000 \
        else f"\\U{code:08x}"


def visible(text: str) -> str:
    """``text`` with every control, format and separator character written as an escape."""
    if text.isascii() and text.isprintable():  # the common case, checked in C
        return text
    return "".join(map(_shown, text))
