"""Tests for ``drawings.text``: code pages, escapes, MTEXT plain text, sanitising, storeys."""

from __future__ import annotations

import codecs
import csv
import json
import unicodedata
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from drawings.text import (
    DEFAULT_ENCODING,
    MAX_BASEMENT,
    MAX_STOREY,
    decode_bytes,
    decode_escapes,
    mtext_plain,
    normalize_floor,
    parse_floor,
    parse_floor_range,
    python_encoding,
    sanitize,
    text_plain,
)

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "corpus"

# ---------------------------------------------------------------------------------------------
# Strategies
# ---------------------------------------------------------------------------------------------

_any_char = st.one_of(
    st.characters(exclude_categories=()),
    st.integers(0xD800, 0xDFFF).map(chr),  # lone surrogates, as surrogateescape produces
    st.integers(0, 0x9F).map(chr),  # C0, DEL, C1
    st.sampled_from(["\r\n", "\u0301", "e", "\u1100", "\u1161", "\u11a8", "…"]),
)
any_text = st.lists(_any_char, max_size=60).map("".join)

# Text dense in the characters the MTEXT and escape grammars care about.
_markup_char = st.one_of(
    st.sampled_from(list("\\U+M{}^%;:SPNXLlOoKk~fFpHWQTACcxX/#.- 0123456789abcdefABCDEF墙")),
    st.sampled_from([r"\U+", r"\M+5", r"\S", r"\P", "%%", "^ ", "^I", r"\\", "D8", "DC"]),
    _any_char,
)
markup_text = st.lists(_markup_char, max_size=60).map("".join)


def _is_control(ch: str) -> bool:
    return unicodedata.category(ch) == "Cc" and ch not in "\n\t"


def _is_surrogate(ch: str) -> bool:
    return 0xD800 <= ord(ch) <= 0xDFFF


# ---------------------------------------------------------------------------------------------
# python_encoding
# ---------------------------------------------------------------------------------------------

PRE_2007 = ("AC1009", "AC1012", "AC1015", "AC1018")
UTF8_VERSIONS = ("AC1021", "AC1024", "AC1027", "AC1032", "ac1032", " AC1032 ")


@pytest.mark.parametrize(
    ("codepage", "expected"),
    [
        # The code pages of the corpus files
        ("ANSI_936", "gb18030"),
        ("ansi_1252", "cp1252"),
        ("ANSI_1252", "cp1252"),
        ("dos850", "cp850"),
        ("dos932", "cp932"),
        ("ANSI_949", "cp949"),
        ("MAC-ROMAN", "mac-roman"),
        ("ANSI_1250", "cp1250"),
        ("ANSI_1251", "cp1251"),
        ("ASCII", "ascii"),
        (None, DEFAULT_ENCODING),
        # The rest of the AutoCAD list and common spellings
        ("", DEFAULT_ENCODING),
        ("  ansi_1252 \n", "cp1252"),
        ("ANSI_932", "cp932"),
        ("ANSI_950", "cp950"),
        ("big5", "cp950"),
        ("ksc5601", "cp949"),
        ("johab", "johab"),
        ("ANSI_1361", "johab"),
        ("gb2312", "gb18030"),
        ("ANSI_874", "cp874"),
        ("ANSI_1253", "cp1253"),
        ("ANSI_1258", "cp1258"),
        ("dos437", "cp437"),
        ("dos866", "cp866"),
        ("iso8859_1", "iso8859-1"),
        ("ISO8859-5", "iso8859-5"),
        ("mac_roman", "mac-roman"),
        ("ANSI_1200", "utf-8"),
        ("UTF-8", "utf-8"),
        ("GBK", "gb18030"),
        ("cp936", "gb18030"),
        ("windows-1251", "cp1251"),
        # Unknown -> platform default, never an exception
        ("ANSI_9999", DEFAULT_ENCODING),
        ("hex", DEFAULT_ENCODING),
        ("rot13", DEFAULT_ENCODING),
        ("klingon", DEFAULT_ENCODING),
    ],
)
def test_python_encoding_pre_2007(codepage: str | None, expected: str) -> None:
    for version in (*PRE_2007, None, "", "AC1003", "AC2.10", "garbage"):
        assert python_encoding(codepage, version) == expected


@pytest.mark.parametrize("version", UTF8_VERSIONS)
@pytest.mark.parametrize("codepage", ["ANSI_936", "ANSI_1252", "ANSI_949", "ASCII", None, "x"])
def test_r2007_and_later_is_always_utf8(codepage: str | None, version: str) -> None:
    assert python_encoding(codepage, version) == "utf-8"


def test_ansi_936_round_trips_gbk() -> None:
    encoding = python_encoding("ANSI_936", "AC1015")
    assert "墙体".encode("gbk").decode(encoding) == "墙体"
    assert "防火分区".encode("gbk").decode(encoding) == "防火分区"


def test_gb18030_decodes_every_gbk_pair_like_gbk() -> None:
    """The reason ANSI_936 maps to gb18030: a strict superset on GBK's two-byte sequences."""
    for lead in range(0x81, 0xFF):
        for trail in range(0x40, 0xFF):
            pair = bytes((lead, trail))
            try:
                expected = pair.decode("gbk")
            except UnicodeDecodeError:
                continue
            assert pair.decode("gb18030") == expected


@given(st.one_of(st.none(), st.text(max_size=20)), st.one_of(st.none(), st.text(max_size=10)))
def test_python_encoding_never_raises_and_names_a_text_codec(
    codepage: str | None, version: str | None
) -> None:
    encoding = python_encoding(codepage, version)
    info = codecs.lookup(encoding)
    assert info.name == encoding
    assert b"A-WALL 0 1.5".decode(encoding) == "A-WALL 0 1.5"


def _manifest_rows() -> list[dict[str, str]]:
    manifest = CORPUS / "MANIFEST.tsv"
    if not manifest.is_file():
        return []
    with manifest.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f, delimiter="\t"))


@pytest.mark.skipif(not _manifest_rows(), reason="shared corpus not present")
def test_corpus_codepages_map_to_a_codec() -> None:
    seen: set[str] = set()
    for row in _manifest_rows():
        codepage = None if row["codepage"] == "(none)" else row["codepage"]
        version = None if row["dxf_version"] == "(none)" else row["dxf_version"]
        encoding = python_encoding(codepage, version)
        codecs.lookup(encoding)
        if version is not None and version.startswith("AC") and version[2:].isdigit():
            if int(version[2:]) >= 1021:
                assert encoding == "utf-8", row["file"]
        seen.add(str(codepage))
    assert {"ANSI_936", "ansi_1252", "dos850", "dos932", "MAC-ROMAN", "ANSI_1251"} <= seen


def _header_value(lines: list[bytes], name: bytes) -> str | None:
    for i, line in enumerate(lines[:3000]):
        if line.strip() == name and i + 2 < len(lines):
            return lines[i + 2].strip().decode("latin-1")
    return None


@pytest.mark.parametrize(
    ("name", "must_contain"),
    [
        ("cn_leadframe_qfn0606_most_cjk_r2018.dxf", None),
        ("elec_zcad_spds_cp1251_r2000.dxf", None),
        ("jp_ezdxf_small_r13_dos932.dxf", None),
    ],
)
def test_corpus_text_decodes_without_surrogates(name: str, must_contain: str | None) -> None:
    path = CORPUS / "files" / name
    if not path.is_file():
        pytest.skip("shared corpus not present")
    lines = path.read_bytes().splitlines()
    encoding = python_encoding(
        _header_value(lines, b"$DWGCODEPAGE"), _header_value(lines, b"$ACADVER")
    )
    for line in lines:
        text = decode_bytes(line, encoding)
        assert sanitize(text)[1] is False, (name, line[:60])


def test_corpus_uplus_mtext() -> None:
    path = CORPUS / "files" / "cn_leadframe_4229647_uplus_r2018.dxf"
    if not path.is_file():
        pytest.skip("shared corpus not present")
    raw = [
        decode_bytes(line, "utf-8") for line in path.read_bytes().splitlines() if b"\\U+" in line
    ]
    assert raw
    assert mtext_plain(raw[0]) == "45.0°±5.0°"


def test_decode_bytes() -> None:
    assert decode_bytes(b"A-WALL", "gb18030") == "A-WALL"
    assert decode_bytes("墙体".encode("gbk"), "gb18030") == "墙体"
    # GBK bytes in a UTF-8 file: kept as lone surrogates, reported by sanitize.
    mojibake = decode_bytes("墙体".encode("gbk"), "utf-8")
    clean, bad = sanitize(mojibake)
    assert bad is True
    assert clean == "\u01fd\ufffd\ufffd"  # C7 BD happens to be valid UTF-8 (ǽ)
    assert decode_bytes(b"\xc7\xbd", "no-such-codec") == "墙"


# ---------------------------------------------------------------------------------------------
# decode_escapes
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (r"\U+5899\U+4F53", "墙体"),
        (r"\u+5899\u+4f53", "墙体"),
        (r"外\U+5899", "外墙"),
        (r"45.0\U+00B0", "45.0°"),
        (r"\U+D83D\U+DE00", "\U0001f600"),  # surrogate pair of escapes
        (r"\U+0001F600", "\U0001f600"),  # eight-digit form written by ezdxf
        (r"\M+5C7BD\M+5CCE5", "墙体"),  # MIF GB
        (r"\M+182A0", "あ"),  # MIF Shift-JIS
        (r"\M+3B0A1", "가"),  # MIF Wansung
        (r"\M+2A4A4", "中"),  # MIF Big5
        (r"\m+5c7bd", "墙"),
        # Malformed or not an escape: verbatim
        (r"\U+589", r"\U+589"),
        (r"\U+58G9", r"\U+58G9"),
        (r"\U5899", r"\U5899"),
        (r"\U+D83D", r"\U+D83D"),  # lone surrogate escape
        (r"\U+DE00x", r"\U+DE00x"),
        (r"\M+6C7BD", r"\M+6C7BD"),  # no code page 6
        (r"\M+54142", r"\M+54142"),  # two ASCII bytes are not a MIF character
        (r"\M+5FFFF", r"\M+5FFFF"),  # invalid in GBK
        ("\\", "\\"),
        (r"\\U+5899", r"\\U+5899"),  # escaped backslash, then literal text
        (r"\\\U+5899", r"\\墙"),
        (r"\P\U+5899", r"\P墙"),  # formatting is not this function's business
        ("墙体", "墙体"),
        ("", ""),
    ],
)
def test_decode_escapes(raw: str, expected: str) -> None:
    assert decode_escapes(raw) == expected


def test_decode_escapes_fast_path_returns_same_object() -> None:
    s = "卧室 A-WALL 1.5"
    assert decode_escapes(s) is s


@pytest.mark.parametrize("split_at", range(1, len(r"\U+5899")))
def test_escape_split_across_mtext_chunks(split_at: int) -> None:
    """Writers cut MTEXT every 250 characters, also inside an escape: decode the joined text."""
    content = "x" * 245 + r"\U+5899\U+4F53" + "y"
    cut = 245 + split_at
    chunk_3, chunk_1 = content[:cut], content[cut:]  # group code 3, then the final group code 1
    joined = chunk_3 + chunk_1
    assert decode_escapes(joined) == "x" * 245 + "墙体y"
    assert mtext_plain(joined) == "x" * 245 + "墙体y"
    # Decoding each chunk on its own loses the character: the reason for joining first.
    assert "墙" not in decode_escapes(chunk_3) + decode_escapes(chunk_1)


@given(markup_text)
def test_decode_escapes_never_raises(s: str) -> None:
    out = decode_escapes(s)
    assert isinstance(out, str)
    if "\\" not in s:
        assert out == s


@given(st.text(st.characters(codec="utf-8"), max_size=30))
def test_decode_escapes_inverts_u_escaping(s: str) -> None:
    escaped = "".join(f"\\U+{ord(ch):04X}" if ord(ch) <= 0xFFFF else ch for ch in s)
    assert decode_escapes(escaped) == s


# ---------------------------------------------------------------------------------------------
# mtext_plain
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (r"{\fSimSun|b0|i0|c134|p2;\H2.5x;设计说明}\P1.本工程…", "设计说明\n1.本工程…"),
        (r"\Fsimplex.shx,gbcbig.shx;\W1.0000000000;\T1.0000000000;\o\l房间", "房间"),
        (r"\A1;45.0\U+00B0±5.0\U+00B0", "45.0°±5.0°"),
        (r"{\LSECTION A-A}", "SECTION A-A"),
        (r"\U+5899\U+4F53", "墙体"),
        (r"{\fSimSun;\U+5899}{\C1;\U+4F53}", "墙体"),
        # stacking
        (r"\S1^2;", "1/2"),
        (r"\S1/2;", "1/2"),
        (r"\S1#2;", "1/2"),
        (r"A\S1^ 2;B", "A1/2B"),  # "^ " is DXF's literal caret
        (r"\S+0.1^-0.2;", "+0.1/-0.2"),
        (r"m\S2^;", "m2"),  # superscript: one empty side
        (r"\S\U+00B1^1;", "±/1"),
        (r"\S1\/2/3;", "1/2/3"),
        # paragraphs, spaces, literals
        (r"a\Pb", "a\nb"),
        (r"a\Nb", "a\nb"),
        (r"a\Xb", "a\nb"),
        (r"a\~b", "a b"),
        (r"\\P", "\\P"),
        (r"a\\b", "a\\b"),
        (r"\{x\}", "{x}"),
        (r"{a{b{c}}}", "abc"),
        (r"{\H2;{\C1;红}{\C3;绿}}", "红绿"),
        (r"\\U+5899", "\\U+5899"),
        (r"\U+005CP", "\\P"),  # a decoded backslash does not start a code
        (r"\U+007B\U+007D", "{}"),
        # codes with values
        (r"{\C1;red}", "red"),
        (r"\C1red", "red"),
        (r"\c16711680;blue", "blue"),
        (r"\pxqc;中间", "中间"),
        (r"\pi-2,l2,t[5,20];x", "x"),
        (r"\A1;mid", "mid"),
        (r"\T1.1;t", "t"),
        (r"\Q15;obl", "obl"),
        (r"\W0.8;w", "w"),
        (r"\H3;h", "h"),
        (r"\H0.7x;h", "h"),
        (r"\Farial.shx;f", "f"),
        (r"\Lund\l\Oover\o\Kstrike\k", "undoverstrike"),
        # special characters and caret notation
        ("%%c100", "Ø100"),
        ("90%%d", "90°"),
        ("28.903%%p0.075", "28.903±0.075"),
        ("100%%%", "100%"),
        ("%%u下划线%%u", "下划线"),
        ("x^Iy", "x\ty"),
        ("x^Jy", "x\ny"),
        ("x^ y", "x^y"),
        ("m^2", "m^2"),
        ("50%", "50%"),
        # malformed: verbatim, never eats text
        (r"\fSimSun|b0", r"\fSimSun|b0"),
        (r"\S1^2", r"\S1^2"),
        (r"{unclosed", "unclosed"),
        (r"closed}", "closed"),
        ("abc\\", "abc\\"),
        (r"\Z", r"\Z"),
        ("", ""),
        ("卧室", "卧室"),
    ],
)
def test_mtext_plain(raw: str, expected: str) -> None:
    assert mtext_plain(raw) == expected


def test_mtext_plain_fast_path_returns_same_object() -> None:
    s = "卧室 3.0m"
    assert mtext_plain(s) is s


@pytest.mark.parametrize(
    "raw",
    [
        r"{\fSimSun|b0|i0|c134|p2;\H2.5x;设计说明}\P1.本工程…",
        r"\A1;900",
        r"{\LSECTION A-A}",
        r"\pxqc;{\C1;中间}\P第二行",
        r"a\\b\{c\}",
        "28.903%%p0.075",
    ],
)
def test_mtext_plain_agrees_with_ezdxf_on_ordinary_content(raw: str) -> None:
    from ezdxf.tools.text import plain_mtext

    assert mtext_plain(raw) == plain_mtext(raw)


@given(markup_text)
def test_mtext_plain_never_raises(s: str) -> None:
    assert isinstance(mtext_plain(s), str)
    assert isinstance(text_plain(s), str)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("%%U一层平面图", "一层平面图"),
        ("%%c20@200", "Ø20@200"),
        ("±0.000%%d", "±0.000°"),
        (r"\U+5899", "墙"),
        ("%%130", "%%130"),  # SHX rebar grade code: kept
        ("A^ B", "A^B"),
        ("M0921", "M0921"),
    ],
)
def test_text_plain(raw: str, expected: str) -> None:
    assert text_plain(raw) == expected


# ---------------------------------------------------------------------------------------------
# sanitize
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected", "flag"),
    [
        ("A-WALL", "A-WALL", False),
        ("卧室", "卧室", False),
        ("line1\nline2\tcol", "line1\nline2\tcol", False),
        ("a\x00b", "ab", False),
        ("a\x01\x07\x1b[31mb", "a[31mb", False),
        ("a\x7fb\x85c\x9fd", "abcd", False),
        ("a\r\nb\rc", "a\nb\nc", False),
        ("墙\udcc7\udcbd", "墙\ufffd\ufffd", True),
        ("\ud800", "\ufffd", True),
        ("e\u0301", "\u00e9", False),  # NFC
        ("\u1100\u1161\u11a8", "\uac01", False),  # conjoining jamo -> syllable
        ("e\x00\u0301", "\u00e9", False),  # removal, then NFC
        ("<script>alert(1)</script>", "<script>alert(1)</script>", False),
        ("<img src=x onerror=alert(1)>", "<img src=x onerror=alert(1)>", False),
        ('=HYPERLINK("x")', '=HYPERLINK("x")', False),
        ("\u202egnp.exe", "\u202egnp.exe", False),  # bidi override is data
        ("\ufffd", "\ufffd", False),  # already replaced upstream: not a surrogate
        ("", "", False),
    ],
)
def test_sanitize(raw: str, expected: str, flag: bool) -> None:
    assert sanitize(raw) == (expected, flag)


def test_sanitize_fast_path_returns_same_object() -> None:
    s = "A-WALL 1.5 <b>"
    out, flag = sanitize(s)
    assert out is s
    assert flag is False


@pytest.mark.parametrize(
    ("raw", "max_len", "expected"),
    [
        ("abcdef", 6, "abcdef"),
        ("abcdefg", 6, "abcde…"),
        ("墙体墙体墙体墙", 6, "墙体墙体墙…"),
        ("a\nb\nc\nd", 3, "a\n…"),
        ("abc", 1, "…"),
        ("abc", 0, ""),
    ],
)
def test_sanitize_caps_length(raw: str, max_len: int, expected: str) -> None:
    assert sanitize(raw, max_len=max_len)[0] == expected


def test_sanitize_large_value() -> None:
    big = "墙体\x00" * 250_000
    out, flag = sanitize(big)
    assert len(out) == 10_000
    assert out.endswith("…")
    assert "\x00" not in out
    assert flag is False


@settings(max_examples=300)
@given(any_text, st.integers(1, 80))
def test_sanitize_properties(s: str, max_len: int) -> None:
    out, flag = sanitize(s, max_len=max_len)
    assert flag == any(_is_surrogate(ch) for ch in s)
    assert not any(_is_surrogate(ch) for ch in out)
    assert not any(_is_control(ch) for ch in out)
    assert "\x00" not in out
    assert len(out) <= max_len
    assert unicodedata.is_normalized("NFC", out)
    assert json.loads(json.dumps(out)) == out
    assert json.loads(json.dumps(out, ensure_ascii=False)) == out
    assert out.encode("utf-8").decode("utf-8") == out
    assert sanitize(out, max_len=max_len) == (out, False)


# ---------------------------------------------------------------------------------------------
# Storeys
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("一层平面图", "1"),
        ("二层平面图", "2"),
        ("十八层", "18"),
        ("二十三层", "23"),
        ("3层平面图", "3"),
        ("首层平面图", "1"),
        ("底层平面图", "1"),
        ("第十层平面图", "10"),
        ("地上一层平面图", "1"),
        ("一楼平面图", "1"),
        ("1F平面图", "1"),
        ("一百零一层平面图", "101"),
        ("一〇一层", "101"),
        # basements
        ("地下一层平面图", "-1"),
        ("负一层", "-1"),
        ("B1层", "-1"),
        ("B1F平面图", "-1"),
        ("B2", "-2"),
        ("-1层", "-1"),
        ("地下二层", "-2"),
        ("地下室一层平面图", "-1"),
        ("地下室平面图", "-1"),
        ("半地下室平面图", "-1"),
        ("地下室平面图(地下二层)", "-2"),
        # roof
        ("屋顶平面图", "RF"),
        ("屋面层", "RF"),
        ("屋顶层平面图", "RF"),
        ("RF平面图", "RF"),
        ("机房层平面图", "RF"),
        ("突出屋面楼梯间平面图", "RF"),
        ("电梯机房平面图", "RF"),
        # layout noise
        ("一 层 平 面 图", "1"),
        ("%%U一层平面图", "1"),
        ("１层平面图", "1"),
        ("Ｂ１层平面图", "-1"),
        ("３＃楼　二层平面图", "2"),
        ("3#楼一层平面图", "1"),
        ("2号楼三层平面图", "3"),
        ("建施-03 一层平面图", "1"),
        ("十八层住宅一层平面图", "1"),
        ("首层(一层)平面图", "1"),
        ("A区1层平面图", "1"),
        ("二层平面图 1:100", "2"),
        # nothing, or not one storey
        ("二~十八层平面图", None),
        ("二～十八层平面图", None),
        ("2-18层平面图", None),
        ("二至十八层平面图", None),
        ("标准层平面图", None),
        ("标准层(三~十层)平面图", None),
        ("三、五层平面图", None),
        ("二及四层平面图", None),
        ("一二层平面图", None),
        ("二层夹层平面图", None),
        ("顶层平面图", None),
        ("架空层平面图", None),
        ("二层屋面平面图", None),
        ("1-1剖面图", None),
        ("12号楼梯详图", None),
        ("层高3.0m", None),
        ("0层", None),
        ("300层", None),
        ("总平面图", None),
        ("地下室顶板平面图", None),
        ("设计说明", None),
        ("", None),
    ],
)
def test_parse_floor(title: str, expected: str | None) -> None:
    assert parse_floor(title) == expected


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("一层平面图", ("1", "1")),
        ("二~十八层平面图", ("2", "18")),
        ("2-18层平面图", ("2", "18")),
        ("二层~十八层平面图", ("2", "18")),
        ("二至十八层平面图", ("2", "18")),
        ("2F~18F平面图", ("2", "18")),
        ("标准层(三~十层)平面图", ("3", "10")),
        ("地下一~二层平面图", ("-2", "-1")),
        ("地下二~一层平面图", ("-2", "-1")),
        ("B2~B1层平面图", ("-2", "-1")),
        ("B2~B1", ("-2", "-1")),
        ("-2~-1层", ("-2", "-1")),
        ("十八层~屋顶平面图", ("18", "RF")),
        ("十八~二层", ("2", "18")),
        ("屋顶平面图", ("RF", "RF")),
        ("三、五层平面图", None),
        ("标准层平面图", None),
        ("1-1剖面图", None),
    ],
)
def test_parse_floor_range(title: str, expected: tuple[str, str] | None) -> None:
    assert parse_floor_range(title) == expected


def _valid_label(v: str) -> bool:
    if v == "RF":
        return True
    n = int(v)
    return str(n) == v and n != 0 and -MAX_BASEMENT <= n <= MAX_STOREY


@given(st.one_of(any_text, st.text(alphabet="一二三十地下负层楼BF-~至屋顶面0123456789 ")))
def test_parse_floor_never_raises(title: str) -> None:
    r = parse_floor_range(title)
    if r is not None:
        assert _valid_label(r[0]) and _valid_label(r[1])
    v = parse_floor(title)
    assert v is None or _valid_label(v)
    assert v is None or (r is not None and r == (v, v))


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("1", "1"),
        ("01", "1"),
        ("+3", "3"),
        ("18", "18"),
        ("1F", "1"),
        ("１", "1"),
        (" 2 ", "2"),
        ("B1", "-1"),
        ("b1", "-1"),
        ("B01", "-1"),
        ("B1F", "-1"),
        ("-1", "-1"),
        ("－２", "-2"),
        ("RF", "RF"),
        ("rf", "RF"),
        ("R", "RF"),
        ("ROOF", "RF"),
        ("屋顶", "RF"),
        ("屋面", "RF"),
        ("一层", "1"),
        ("一", "1"),
        ("十八", "18"),
        ("首层", "1"),
        ("地下一层", "-1"),
        ("负二", "-2"),
        ("0", None),
        ("00", None),
        ("2-18", None),
        ("300", None),
        ("B99", None),
        ("garbage", None),
        ("", None),
        ("1.5", None),
        ("<script>", None),
    ],
)
def test_normalize_floor(value: str, expected: str | None) -> None:
    assert normalize_floor(value) == expected


@given(any_text)
def test_normalize_floor_never_raises(value: str) -> None:
    v = normalize_floor(value)
    assert v is None or _valid_label(v)
