"""Text values of a drawing: code pages, escapes, MTEXT formatting, sanitising and storeys.

A DXF string goes through up to four steps before anything else sees it:

1. bytes -> ``str`` with the codec chosen by :func:`python_encoding` (``surrogateescape``, so a
   byte the code page cannot decode survives as a lone surrogate instead of vanishing);
2. ``\\U+XXXX`` / ``\\M+NXXXX`` escapes -> characters (:func:`decode_escapes`), always on the
   *joined* MTEXT content because writers split the content into 250-character chunks without
   caring where an escape ends;
3. MTEXT formatting codes removed (:func:`mtext_plain`), or TEXT/ATTRIB special codes
   (:func:`text_plain`);
4. :func:`sanitize` at the storage boundary: lone surrogates become U+FFFD (and the caller
   reports ``DXF-008``), control characters go, NFC, length cap.

The streaming reader calls these for every text value of every file, so each function starts
with a fast path that returns the input unchanged when it cannot contain anything to do
(no backslash, no brace, no non-ASCII character...) and only then uses regular expressions.

:func:`parse_floor` and :func:`normalize_floor` read the storey of a sheet (submission standard
section 2): ``"1"``, ``"2"``, ... above ground, ``"-1"``, ... below ground, ``"RF"`` for the roof.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = [
    "DEFAULT_ENCODING",
    "decode_bytes",
    "decode_escapes",
    "mtext_plain",
    "normalize_floor",
    "parse_floor",
    "parse_floor_range",
    "python_encoding",
    "sanitize",
    "text_plain",
]

# --------------------------------------------------------------------------------------------
# Code pages
# --------------------------------------------------------------------------------------------

DEFAULT_ENCODING = "gb18030"
"""Codec for ANSI_936 and for files that declare no usable code page.

The platform default is ANSI_936 (catalogue row ``project.codepage``). GB 18030 is used rather
than ``gbk`` because it decodes every two-byte GBK sequence to the same character (checked over
the whole 0x81-0xFE x 0x40-0xFE range) and also the user-defined areas and four-byte sequences
that GBK rejects, so fewer Chinese strings end up as ``DXF-008``.
"""

_UTF8 = "utf-8"

# $DWGCODEPAGE values written by AutoCAD and other CAD programs (the R12-R2004 list), plus
# Python codec names that a ``project.toml`` may give. Keys are lower case with "-" and
# spaces turned into "_".
_CODEPAGES: dict[str, str] = {
    # Unix code pages
    "ascii": "ascii",
    "us_ascii": "ascii",
    "iso8859_1": "iso8859-1",
    "iso8859_2": "iso8859-2",
    "iso8859_3": "iso8859-3",
    "iso8859_4": "iso8859-4",
    "iso8859_5": "iso8859-5",
    "iso8859_6": "iso8859-6",
    "iso8859_7": "iso8859-7",
    "iso8859_8": "iso8859-8",
    "iso8859_9": "iso8859-9",
    # DOS / Mac
    "mac_roman": "mac-roman",
    "macroman": "mac-roman",
    "big5": "cp950",  # cp950 is the Windows superset of Big5
    "ksc5601": "cp949",  # Unified Hangul Code, a superset of KS C 5601 (EUC-KR)
    "ks_c_5601": "cp949",
    "euc_kr": "cp949",
    "johab": "johab",
    "gb2312": DEFAULT_ENCODING,
    "gbk": DEFAULT_ENCODING,
    "gb18030": DEFAULT_ENCODING,
    "euc_cn": DEFAULT_ENCODING,
    "shift_jis": "cp932",
    "sjis": "cp932",
    # Unicode spelled out (some writers and project.toml files do)
    "utf_8": _UTF8,
    "utf8": _UTF8,
    "unicode": _UTF8,
}

# Code page numbers, whatever the prefix (ANSI_, DOS, CP, WINDOWS-...).
_CODEPAGE_NUMBERS: dict[int, str] = {
    437: "cp437",
    850: "cp850",
    852: "cp852",
    855: "cp855",
    857: "cp857",
    860: "cp860",
    861: "cp861",
    863: "cp863",
    864: "cp864",
    865: "cp865",
    866: "cp866",
    869: "cp869",
    874: "cp874",
    932: "cp932",
    936: DEFAULT_ENCODING,
    949: "cp949",
    950: "cp950",
    1200: _UTF8,  # "Unicode (reserved)": a line-based file cannot be UTF-16; UTF-8 is the guess
    1250: "cp1250",
    1251: "cp1251",
    1252: "cp1252",
    1253: "cp1253",
    1254: "cp1254",
    1255: "cp1255",
    1256: "cp1256",
    1257: "cp1257",
    1258: "cp1258",
    1361: "johab",
}

_CODEPAGE_NUMBER_RE = re.compile(r"(?:ansi|dos|cp|windows|win|ms|ibm)?_?(\d{3,4})")
_DXFVERSION_RE = re.compile(r"AC(\d{4})")
_FIRST_UTF8_VERSION = 1021  # AC1021 = R2007: from here on DXF text is always UTF-8


def python_encoding(codepage: str | None, dxfversion: str | None) -> str:
    """Return the Python codec that decodes the text of a DXF file.

    R2007 and later files (``AC1021``+) are UTF-8 by definition; many of them still carry the
    ``$DWGCODEPAGE`` of the machine that saved them (``ANSI_936``), which must be ignored.
    Older files are decoded with their declared code page. A missing or unknown code page
    falls back to the platform default ANSI_936 (GB 18030): the users are Chinese, and a wrong
    guess shows up as ``DXF-008`` rather than an exception. ``ASCII`` is taken literally, so
    high bytes in an ASCII-declared pre-2007 file are reported rather than silently guessed.

    ezdxf's own table (``ezdxf.tools.codepage.toencoding``) is not used: it maps everything it
    does not know (``dos850``, ``MAC-ROMAN``, ``big5``...) to cp1252.

    Args:
        codepage: the ``$DWGCODEPAGE`` header value, or ``project.codepage`` when the project
            overrides it; any case, ``-`` or ``_``.
        dxfversion: the ``$ACADVER`` value such as ``"AC1015"``, or ``None`` when the file has
            no header.

    Returns:
        A codec name accepted by ``bytes.decode`` (canonical Python spelling). Never raises.
    """
    if dxfversion:
        m = _DXFVERSION_RE.match(dxfversion.strip().upper())
        if m is not None and int(m.group(1)) >= _FIRST_UTF8_VERSION:
            return _UTF8
    if not codepage:
        return DEFAULT_ENCODING
    key = codepage.strip().lower().replace("-", "_").replace(" ", "_")
    found = _CODEPAGES.get(key)
    if found is not None:
        return found
    m = _CODEPAGE_NUMBER_RE.fullmatch(key)
    if m is not None:
        found = _CODEPAGE_NUMBERS.get(int(m.group(1)))
        if found is not None:
            return found
    return DEFAULT_ENCODING


def decode_bytes(raw: bytes, encoding: str) -> str:
    """Decode one DXF value the way the sanitiser expects.

    ``surrogateescape`` keeps an undecodable byte as a lone surrogate, which :func:`sanitize`
    turns into U+FFFD and reports (``DXF-008``); ``strict`` would lose the whole file and
    ``replace`` would hide the problem. Pure-ASCII values (most of a DXF file) skip the codec.

    Args:
        raw: the value's bytes, without the line ending.
        encoding: a codec from :func:`python_encoding`.

    Returns:
        The decoded string, possibly with lone surrogates.
    """
    if raw.isascii():
        return raw.decode("ascii")
    try:
        return raw.decode(encoding, "surrogateescape")
    except LookupError:
        return raw.decode(DEFAULT_ENCODING, "surrogateescape")


# --------------------------------------------------------------------------------------------
# \U+XXXX and \M+NXXXX escapes
# --------------------------------------------------------------------------------------------

# MIF code pages (ODA "Font Handling"): the digit after \M+ selects the double-byte code page.
_MIF_CODECS: dict[str, str] = {
    "1": "cp932",  # Japanese, Shift-JIS
    "2": "cp950",  # Traditional Chinese, Big5
    "3": "cp949",  # Korean Wansung (KS C 5601-1987)
    "4": "johab",  # Korean Johab (KS C 5601-1992)
    "5": "gbk",  # Simplified Chinese, GB 2312 / cp936
}

_HEX4 = "[0-9A-Fa-f]{4}"

# One alternation shared by decode_escapes and mtext_plain. The first alternative keeps an
# escaped backslash together, so "\\U+5899" is a literal backslash followed by "U+5899".
# Non-BMP characters appear either as a UTF-16 surrogate pair of escapes (AutoCAD) or as eight
# hex digits (ezdxf writes "\U+0001f600"); the eight-digit form is only recognised for planes
# 1-3 and 14-16, whose first four digits would otherwise be control characters nobody escapes.
_ESCAPE_ALTERNATIVES = rf"""
      (?P<bs>\\)
    | [Uu]\+(?P<hi>[Dd][89ABab][0-9A-Fa-f]{{2}})\\[Uu]\+(?P<lo>[Dd][C-Fc-f][0-9A-Fa-f]{{2}})
    | [Uu]\+(?P<wide>000[123EeFf]|0010)(?P<wide2>{_HEX4})
    | [Uu]\+(?P<u>{_HEX4})
    | [Mm]\+(?P<n>[1-5])(?P<mif>{_HEX4})
"""

_ESCAPE_RE = re.compile(rf"\\(?:{_ESCAPE_ALTERNATIVES})", re.VERBOSE)


def _decode_escape(m: re.Match[str]) -> str | None:
    """Decode one matched escape; ``None`` when it is not an escape this module decodes."""
    kind = m.lastgroup
    if kind == "u":
        cp = int(m.group("u"), 16)
        if 0xD800 <= cp <= 0xDFFF:
            return None  # a lone surrogate is malformed; decoding it would poison storage
        return chr(cp)
    if kind == "lo":
        hi = int(m.group("hi"), 16)
        lo = int(m.group("lo"), 16)
        return chr(0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00))
    if kind == "wide2":
        return chr(int(m.group("wide") + m.group("wide2"), 16))
    if kind == "mif":
        data = bytes.fromhex(m.group("mif"))
        if data[0] == 0:
            data = data[1:]
        try:
            decoded = data.decode(_MIF_CODECS[m.group("n")])
        except UnicodeDecodeError:
            return None
        # Two ASCII bytes are not a double-byte character: not a real MIF escape.
        return decoded if len(decoded) == 1 else None
    return None


def _escape_repl(m: re.Match[str]) -> str:
    decoded = _decode_escape(m)
    return m.group(0) if decoded is None else decoded


def decode_escapes(s: str) -> str:
    r"""Decode ``\U+XXXX`` and ``\M+NXXXX`` escapes; leave everything else as it is.

    AutoCAD writes characters outside the file's code page as ``\U+XXXX`` (four hex digits,
    a surrogate pair of escapes beyond the BMP) and old Asian versions as MIF ``\M+NXXXX``
    (N: 1 cp932, 2 cp950, 3 cp949, 4 Johab, 5 GB). The ``U`` and ``M`` are accepted in either
    case. Malformed escapes (too few digits, a lone surrogate, bytes invalid in the MIF code
    page) stay verbatim so that nothing is lost and no unstorable character is produced.
    ``\\`` (an escaped backslash in MTEXT) is kept as two characters and never starts an
    escape.

    Apply this to the *joined* MTEXT content (group codes 3 then 1): writers cut the content
    every 250 characters, also in the middle of an escape. For MTEXT, :func:`mtext_plain`
    already includes this step.

    Args:
        s: a TEXT, ATTRIB or MTEXT value.

    Returns:
        The string with the escapes decoded. Never raises.
    """
    if "\\" not in s:
        return s
    return _ESCAPE_RE.sub(_escape_repl, s)


# --------------------------------------------------------------------------------------------
# MTEXT and TEXT formatting
# --------------------------------------------------------------------------------------------

# Everything that mtext_plain acts on, in one pass, so that a decoded \U+005C or \U+007B is
# never re-read as formatting. Named groups select the replacement; codes without a named
# group are removed.
_MTEXT_RE = re.compile(
    rf"""
    \\(?:
        {_ESCAPE_ALTERNATIVES}
      | (?P<lit>[{{}}])                              # \{{ \}}
      | S(?P<stack>(?:[^;\\{{}}]|\\.)*);             # \Sa^b; \Sa/b; \Sa#b;
      | (?P<nl>[PNX])                                # paragraph, column, dimension line break
      | (?P<nbsp>~)
      | [LlOoKk]                                     # under/over/strike on/off
      | [fF][^;\\{{}}]*;                             # font
      | p[^;\\{{}}]*;                                # paragraph properties
      | [HWQT][-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?[xX]?;?   # height, width, oblique, track
      | A[012];?                                     # alignment
      | [Cc]\d+;?                                    # ACI / true colour
    )
    | [{{}}]                                         # grouping
    | \^(?P<caret>[ IJM])                            # DXF caret notation
    | %%(?P<pct>[cdpCDP%])                           # %%c %%d %%p %%%
    | %%[uokUOK]                                     # %%u %%o %%k toggles
    """,
    re.VERBOSE,
)

_SPECIAL: dict[str, str] = {"c": "\u00d8", "d": "\u00b0", "p": "\u00b1", "%": "%"}
_CARET: dict[str, str] = {" ": "^", "I": "\t", "J": "\n", "M": ""}
_STACK_SEP_RE = re.compile(r"(?<!\\)[\^/#]")
_UNESCAPE_RE = re.compile(r"\\(.)", re.DOTALL)


def _stack(body: str) -> str:
    r"""``1^2`` / ``1/2`` / ``1#2`` -> ``1/2``; one empty side (``\S2^;``, superscript) -> ``2``."""
    m = _STACK_SEP_RE.search(body)
    if m is None:
        upper, lower = body, ""
    else:
        upper, lower = body[: m.start()], body[m.end() :]
        if m.group(0) == "^" and lower.startswith(" "):
            lower = lower[1:]  # "^ " is how DXF writes a literal caret
    if "\\" in body:
        upper = _UNESCAPE_RE.sub(r"\1", decode_escapes(upper))
        lower = _UNESCAPE_RE.sub(r"\1", decode_escapes(lower))
    upper, lower = upper.strip(), lower.strip()
    if upper and lower:
        return f"{upper}/{lower}"
    return upper or lower


def _mtext_repl(m: re.Match[str]) -> str:
    kind = m.lastgroup
    if kind is None:
        return ""  # a formatting code or a brace
    if kind == "nl":
        return "\n"
    if kind == "bs":
        return "\\"
    if kind == "lit":
        return m.group("lit")
    if kind == "nbsp":
        return " "
    if kind == "stack":
        return _stack(m.group("stack"))
    if kind == "caret":
        return _CARET[m.group("caret")]
    if kind == "pct":
        return _SPECIAL[m.group("pct").lower()]
    decoded = _decode_escape(m)
    return m.group(0) if decoded is None else decoded


def mtext_plain(raw: str) -> str:
    r"""Return the plain text of MTEXT content.

    One left-to-right pass decodes escapes and removes formatting: ``\P`` (and the column
    break ``\N``, the dimension break ``\X``) -> newline; ``\~`` -> space; ``\\ \{ \}`` ->
    the literal character; ``\f \F \p ... ;``, ``\H \W \Q \T \A \C \c`` with their value
    (``;`` optional after a number, as AutoCAD accepts), ``\L \l \O \o \K \k`` and grouping
    braces removed; a stack ``\Sa^b;`` / ``\Sa/b;`` / ``\Sa#b;`` -> ``a/b``; ``%%c %%d %%p``
    -> Ø ° ±; caret notation ``^I ^J ^M "^ "`` decoded. Anything unrecognised (``\Z``, a font
    code without its ``;``, a trailing ``\``) stays verbatim rather than eating text.

    ezdxf's ``plain_mtext`` is not used: it does not decode ``\U+``, turns ``\S1^2;`` into
    ``1p`` (caret-decodes before stacking) and costs about 18 us per typical string against
    about 1.5 us here. Decoding and formatting share one pass because a decoded ``\U+005C``
    must not start a formatting code.

    Args:
        raw: the joined MTEXT content (group codes 3, then 1).

    Returns:
        The plain text; lines separated by ``"\n"``. Never raises.
    """
    if "\\" not in raw and "{" not in raw and "}" not in raw and "^" not in raw and "%" not in raw:
        return raw
    return _MTEXT_RE.sub(_mtext_repl, raw)


_TEXT_RE = re.compile(
    r"""
      \^(?P<caret>[ IJM])
    | %%(?P<pct>[cdpCDP%])
    | %%[uokUOK]
    """,
    re.VERBOSE,
)


def _text_repl(m: re.Match[str]) -> str:
    kind = m.lastgroup
    if kind == "caret":
        return _CARET[m.group("caret")]
    if kind == "pct":
        return _SPECIAL[m.group("pct").lower()]
    return ""


def text_plain(raw: str) -> str:
    r"""Return the plain text of a TEXT, ATTRIB or ATTDEF value.

    Single-line text has no formatting codes, but title blocks routinely underline the sheet
    title with ``%%u`` and dimensions use ``%%c``/``%%d``/``%%p``. Escapes are decoded;
    ``%%u %%o %%k`` removed; ``%%c %%d %%p %%%`` -> Ø ° ± %; caret notation decoded.
    ``%%nnn`` character codes are kept verbatim: Chinese SHX fonts use ``%%130``-``%%133`` for
    rebar grades, which have no Unicode equivalent.

    Args:
        raw: the value as read from the file.

    Returns:
        The plain text. Never raises.
    """
    s = decode_escapes(raw)
    if "%" not in s and "^" not in s:
        return s
    return _TEXT_RE.sub(_text_repl, s)


# --------------------------------------------------------------------------------------------
# Sanitising
# --------------------------------------------------------------------------------------------

_ELLIPSIS = "\u2026"
# Anything sanitize may have to change, except NFC: controls (keeping \t and \n), DEL, C1
# controls and surrogates. One search decides whether the slow path is needed.
_BAD_RE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")
_SURROGATE_RE = re.compile("[\ud800-\udfff]")
_CONTROL_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def sanitize(s: str, *, max_len: int = 10_000) -> tuple[str, bool]:
    """Make a string safe to store (PostgreSQL ``text``, JSON) and to show.

    Lone surrogates (bytes the code page could not decode, kept by ``surrogateescape``) make
    ``str.encode("utf-8")`` and the database driver fail, so each becomes U+FFFD and the flag
    is set: that is exactly what ``DXF-008`` reports. NUL is refused by PostgreSQL and the
    other C0/C1 controls (and DEL) only hide or garble text, so they are removed; ``\\r\\n``
    and a lone ``\\r`` become ``\\n``. The result is NFC so that equal texts compare equal,
    and it is at most ``max_len`` characters (the last one ``…`` when cut). Markup such as
    ``<script>``, bidi controls and formula prefixes are data and stay verbatim: escaping is
    each output sink's job.

    Args:
        s: any string from a drawing.
        max_len: the maximum length of the result, in characters.

    Returns:
        ``(clean, had_decoding_problem)``; ``had_decoding_problem`` is ``True`` only when lone
        surrogates were present. A printable ASCII string within ``max_len`` is returned as
        the same object.
    """
    if s.isascii() and s.isprintable():
        if len(s) <= max_len:
            return s, False
        return _cap(s, max_len), False
    had_surrogates = False
    if _BAD_RE.search(s) is not None or "\r" in s:
        if _SURROGATE_RE.search(s) is not None:
            had_surrogates = True
            s = _SURROGATE_RE.sub("\ufffd", s)
        if "\r" in s:
            s = s.replace("\r\n", "\n").replace("\r", "\n")
        s = _CONTROL_RE.sub("", s)
    if not s.isascii() and not unicodedata.is_normalized("NFC", s):
        s = unicodedata.normalize("NFC", s)
    if len(s) > max_len:
        s = _cap(s, max_len)
    return s, had_surrogates


def _cap(s: str, max_len: int) -> str:
    """Cut to ``max_len`` characters including the final ``…``."""
    if max_len <= 0:
        return ""
    # A prefix of an NFC string is NFC (cutting cannot unblock a composition) and "…" composes
    # with nothing, so the result stays normalised; the property tests check idempotence.
    return s[: max_len - 1] + _ELLIPSIS


# --------------------------------------------------------------------------------------------
# Storeys
# --------------------------------------------------------------------------------------------

ROOF = "RF"
MAX_STOREY = 200
"""Highest storey number accepted; larger numbers in a title are something else."""
MAX_BASEMENT = 20
"""Deepest basement accepted (``-20``)."""

_CN_DIGITS: dict[str, int] = {
    "零": 0, "〇": 0,
    "一": 1, "壹": 1,
    "二": 2, "两": 2, "贰": 2,
    "三": 3, "叁": 3,
    "四": 4, "肆": 4,
    "五": 5, "伍": 5,
    "六": 6, "陆": 6,
    "七": 7, "柒": 7,
    "八": 8, "捌": 8,
    "九": 9, "玖": 9,
}  # fmt: skip
_CN_UNITS: dict[str, int] = {"十": 10, "拾": 10, "百": 100, "佰": 100}
_CN_CHARS = "".join(_CN_DIGITS) + "".join(_CN_UNITS)

_ARABIC = r"[0-9]{1,3}"
_CN_NUM = rf"[{_CN_CHARS}]{{1,6}}"
_NUM = rf"(?:{_ARABIC}|{_CN_NUM})"
# An Arabic number must not be glued to a word or another number ("C1518", "建施-03", "1.5");
# a Chinese numeral may follow anything ("建施-03一层").
_FREE_NUM = rf"(?:(?<![0-9A-Z.]){_ARABIC}|{_CN_NUM})"
_NEG = r"(?:地下室?第?|负|(?<![0-9A-Z.])B|(?<![0-9A-Z.])-)"
_ROOF_WORDS = (
    r"屋顶|屋面|天面|机房层|电梯机房"
    r"|(?<![A-Z])R\.?F\.?(?![A-Z0-9])|(?<![A-Z])ROOF(?![A-Z])"
)
_BARE_B = r"(?<=B[0-9])(?![A-Z0-9])|(?<=B[0-9]{2})(?![A-Z0-9])"

# One storey mentioned in a title. Alternatives are tried in order at each position and
# matches do not overlap, so "地下一层" is one basement storey, not also "一层".
_STOREY_RE = re.compile(
    rf"""
        (?P<neg>{_NEG})?第?(?P<num>(?(neg){_NUM}|{_FREE_NUM}))
        (?:层(?![高数])|楼(?![梯层])|F(?![A-Z0-9])|{_BARE_B})
      | (?P<ground>首层|底层)
      | (?P<roof>{_ROOF_WORDS})
      | (?P<basement>半?地下室(?!顶板)|地下层)
    """,
    re.VERBOSE,
)

_ROOF_END = r"屋顶|屋面|RF"
# A range of storeys: "二~十八层", "2-18层", "二层至十八层", "2F~18F", "B2~B1", "十八层~屋顶".
_RANGE_RE = re.compile(
    rf"""
    (?P<a>(?P<aneg>{_NEG})?第?(?(aneg){_NUM}|{_FREE_NUM})|{_ROOF_END})(?:层|F)?
    (?:~|-|—|–|至|到)
    (?P<b>(?:地下室?第?|负|B|-)?第?{_NUM}|{_ROOF_END})(?P<suffix>层|F)?
    """,
    re.VERBOSE,
)
# Several storeys listed: "三、五层", "3,5层", "二及四层".
_LIST_RE = re.compile(rf"{_NUM}(?:层|F)?(?:、|,|及|和|与)+(?:第)?{_NUM}(?:层|F)")
_VALUE_RE = re.compile(rf"(?P<neg>地下室?第?|负|B|-)?第?(?P<num>{_NUM})")
_FORMAT_CODES_RE = re.compile(r"%%[UOKuok]|\s+")
_DASHES = str.maketrans({"\u2212": "-", "\u2010": "-", "\u2011": "-", "〜": "~"})


def _cn_to_int(s: str) -> int | None:
    """Chinese numeral -> int: 十八 18, 二十三 23, 一百零五 105, 一〇一 101; ``None`` if empty."""
    total = 0
    current = 0
    prev_digit = False
    prev_digit_value = -1
    for ch in s:
        d = _CN_DIGITS.get(ch)
        if d is not None:
            if prev_digit:
                # Positional "一〇一" needs a zero; "一二层" means storeys 1 and 2, not 12.
                if d != 0 and prev_digit_value != 0:
                    return None
                current = current * 10 + d
            else:
                current = d
            prev_digit = True
            prev_digit_value = d
            continue
        unit = _CN_UNITS.get(ch)
        if unit is None:
            return None
        total += (current or 1) * unit
        current = 0
        prev_digit = False
    return total + current


def _number(num: str) -> int | None:
    if num.isdigit():
        return int(num)
    return _cn_to_int(num)


def _storey(num: str, negative: bool) -> int | None:
    """A storey as a signed int, ``None`` when out of range (0 is not a storey)."""
    n = _number(num)
    if n is None or n == 0:
        return None
    if negative:
        return -n if n <= MAX_BASEMENT else None
    return n if n <= MAX_STOREY else None


def _normalize_title(title: str) -> str:
    """Full-width -> half-width (NFKC), upper case, no spaces and no %%u codes.

    Title blocks letter-space their titles ("一 层 平 面 图") and underline them with ``%%u``.
    """
    s = unicodedata.normalize("NFKC", title).translate(_DASHES).upper()
    return _FORMAT_CODES_RE.sub("", s)


def _value_to_int(v: str) -> int | None:
    """A range end ("十八", "地下二", "B1", "屋顶") -> signed int, RF as a large number."""
    if v in ("屋顶", "屋面", "RF"):
        return MAX_STOREY + 1
    m = _VALUE_RE.fullmatch(v)
    if m is None:
        return None
    return _storey(m.group("num"), m.group("neg") is not None)


def _to_label(n: int) -> str:
    return ROOF if n > MAX_STOREY else str(n)


def _range(norm: str) -> tuple[str, str] | None:
    for m in _RANGE_RE.finditer(norm):
        a, b = m.group("a"), m.group("b")
        b_is_roof = b in ("屋顶", "屋面", "RF")
        both_b = a.startswith("B") and b.startswith("B")
        if m.group("suffix") is None and not b_is_roof and not both_b:
            continue  # "1-1剖面", a sheet number "建施-2-3": not storeys
        lo = _value_to_int(a)
        hi = _value_to_int(b)
        if lo is None or hi is None:
            continue
        if a[0] in "地负" and hi > 0 and b[0] not in "地负B-" and not b_is_roof:
            hi = -hi  # "地下一至二层": the Chinese basement prefix applies to both ends
        lo, hi = min(lo, hi), max(lo, hi)
        return _to_label(lo), _to_label(hi)
    return None


def parse_floor_range(title: str) -> tuple[str, str] | None:
    """Read the storeys a sheet title covers, as ``(lowest, highest)``.

    A single-storey title gives the same value twice (``"一层平面图"`` -> ``("1", "1")``); a
    range gives both ends (``"二~十八层平面图"`` -> ``("2", "18")``, ``"地下二~一层"`` ->
    ``("-2", "-1")``, ``"十八层~屋顶"`` -> ``("18", "RF")``). ``None`` when no storey can be read
    or the title is ambiguous (a list ``"三、五层"``, a mezzanine ``"夹层"``, ``"标准层"``
    without numbers, a roof plan that also names a numbered storey, two different storeys
    neither of which precedes ``平面``).

    Choices: ``首层``/``底层`` -> 1; a bare ``地下室``/``半地下室``/``地下层`` -> -1 (a building
    with several basements numbers them); ``屋顶``, ``屋面``, ``天面``, ``RF``, ``ROOF`` and the
    rooftop machine room (``机房层``, ``电梯机房``, ``突出屋面``) -> RF, because what stands on
    the roof belongs with the roof for the lightning and roof checks; ``顶层`` (the top
    *occupied* storey) has no number and gives ``None``; ``B1``/``-1层``/``负一层``/``地下一层``
    -> -1; ``3层``/``3F``/``一楼`` -> 3/3/1; ``层高``/``层数`` are not storeys; building numbers
    (``3#楼``, ``2号楼``) are not storeys. With two different storeys, the one nearest before
    ``平面`` wins (``"十八层住宅一层平面图"`` -> 1).

    Args:
        title: the sheet title (``TITLE`` attribute or title-block text).

    Returns:
        ``(lowest, highest)`` storey labels, or ``None``.
    """
    norm = _normalize_title(title)
    if not norm or "夹层" in norm:
        return None
    r = _range(norm)
    if r is not None:
        return r
    if _LIST_RE.search(norm) is not None:
        return None
    found: list[tuple[int, str]] = []
    bare_basement: list[tuple[int, str]] = []
    for m in _STOREY_RE.finditer(norm):
        kind = m.lastgroup
        if kind == "roof":
            found.append((m.start(), ROOF))
        elif kind == "ground":
            found.append((m.start(), "1"))
        elif kind == "basement":
            bare_basement.append((m.start(), "-1"))
        else:
            n = _storey(m.group("num"), m.group("neg") is not None)
            if n is not None:
                found.append((m.start(), str(n)))
    if not found:
        found = bare_basement  # "地下室平面图"; a numbered storey elsewhere wins over it
    values = {v for _, v in found}
    if not values:
        return None
    if ROOF in values:
        return (ROOF, ROOF) if values == {ROOF} else None
    if len(values) == 1:
        v = values.pop()
        return v, v
    plan = norm.find("平面")
    before = [v for p, v in found if 0 <= p < plan]
    if plan < 0 or not before:
        return None
    return before[-1], before[-1]


def parse_floor(title: str) -> str | None:
    """Read the storey of a sheet from its title (standard section 2), or ``None``.

    ``"一层平面图"`` -> ``"1"``, ``"地下一层平面图"`` -> ``"-1"``, ``"屋顶平面图"`` -> ``"RF"``.
    A title covering several storeys (``"二~十八层平面图"``, ``"标准层"``) gives ``None``
    unless both ends are the same storey; :func:`parse_floor_range` returns the ends. See it
    for the full list of choices. ``None`` makes the loader report ``DXF-011``.

    Args:
        title: the sheet title, plain text (``%%u`` codes and full-width digits are accepted).

    Returns:
        ``"1"``, ``"-2"``, ``"RF"``... or ``None``.
    """
    r = parse_floor_range(title)
    if r is None or r[0] != r[1]:
        return None
    return r[0]


_FLOOR_NUMBER_RE = re.compile(r"\+?0*([0-9]{1,3})(?:F|层|楼)?")
_FLOOR_BASEMENT_RE = re.compile(r"(?:-B?|B)0*([0-9]{1,2})(?:F|层)?")
_FLOOR_ROOF_RE = re.compile(r"R|RF|R\.F\.?|ROOF|屋顶层?|屋面层?|天面层?|RF层")
_FLOOR_CN_RE = re.compile(rf"(?P<neg>地下室?|负)?第?(?P<num>[{_CN_CHARS}]{{1,6}})(?:层|楼)?")


def normalize_floor(value: str) -> str | None:
    """Canonical storey label from a ``FLOOR`` attribute, or ``None`` for garbage.

    Designers type the attribute by hand: ``"01"``, ``"1F"``, ``"B1"``, ``"-1"``, ``"rf"``,
    ``"屋顶"``, ``"一层"``, full-width ``"１"``. All map to the standard's ``"1"``, ``"-1"``,
    ``"RF"``. ``"0"``, ranges (``"2-18"``) and storeys beyond ``MAX_STOREY`` /
    ``-MAX_BASEMENT`` give ``None`` so that the loader falls back to the title.

    Args:
        value: the attribute text.

    Returns:
        ``"1"``, ``"-2"``, ``"RF"``... or ``None``.
    """
    s = _normalize_title(value)
    if not s:
        return None
    m = _FLOOR_NUMBER_RE.fullmatch(s)
    if m is not None:
        n = _storey(m.group(1), negative=False)
        return None if n is None else str(n)
    m = _FLOOR_BASEMENT_RE.fullmatch(s)
    if m is not None:
        n = _storey(m.group(1), negative=True)
        return None if n is None else str(n)
    if _FLOOR_ROOF_RE.fullmatch(s) is not None:
        return ROOF
    m = _FLOOR_CN_RE.fullmatch(s)
    if m is not None:
        n = _storey(m.group("num"), m.group("neg") is not None)
        return None if n is None else str(n)
    return parse_floor(s)
