"""Detect the text encoding of a file: strict UTF-8 first (with or without BOM), then Windows-1252.

Nothing is guessed silently: the encoding that succeeded is returned and recorded in the registry.
A file that is neither valid UTF-8 nor valid Windows-1252 is refused.
"""

from __future__ import annotations

import codecs


class EncodingError(ValueError):
    pass


def decode(data: bytes) -> tuple[str, str]:
    """Return (text, encoding) with encoding one of utf-8-sig, utf-8, cp1252."""
    if data.startswith(codecs.BOM_UTF8):
        try:
            return data[len(codecs.BOM_UTF8) :].decode("utf-8"), "utf-8-sig"
        except UnicodeDecodeError as exc:
            raise EncodingError(f"UTF-8 BOM but invalid UTF-8 at byte {exc.start}") from exc
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        # cp1252 leaves 0x81, 0x8D, 0x8F, 0x90, 0x9D undefined: strict decoding refuses them.
        return data.decode("cp1252"), "cp1252"
    except UnicodeDecodeError as exc:
        raise EncodingError(f"neither UTF-8 nor Windows-1252 (byte 0x{data[exc.start]:02x} at {exc.start})") from exc
