"""Words heads write around their figures in chat: data for the free-text reader, not UI text.

Every entry is folded (lower case, no diacritics, "đ" → "d"), as the reader compares them.
"""

from __future__ import annotations

# A number right after one of these names a place, not a count: "thôn 2", "Thôn 6a", "tổ 5".
UNIT_WORDS = (
    "thon",
    "buon",
    "to dan pho",
    "tdp",
    "to",
    "xom",
    "ap",
    "khu",
    "khoi",
    "doi",
    "lang",
    "plei",
    "soc",
)
# A number right after one of these is a date, a time or an ordinal: "ngày 5", "tháng 11".
TIME_WORDS = (
    "ngay",
    "thang",
    "nam",
    "tuan",
    "ky",
    "dot",
    "lan",
    "luc",
    "gio",
    "quy",
    "buoi",
    "sdt",
    "so dien thoai",
    "dien thoai",
    "dt",
    "zalo",
)
# A number right before one of these counts something other than people: "2 tuần", "5 hộ".
OTHER_UNITS = (
    "tuan",
    "ngay",
    "thang",
    "nam",
    "gio",
    "phut",
    "tieng",
    "buoi",
    "lan",
    "dot",
    "ho",
    "nha",
    "gia dinh",
    "diem",
    "may",
    "dien thoai",
    "lop",
    "thon",
    "buon",
    "xom",
    "to",
)
# Words that make a lone number word ("ba", "năm", "không") a count: "ba người".
PEOPLE_WORDS = frozenset({"nguoi", "ng", "hv", "hoc vien", "ban", "dan", "cu tri"})
# Words between a label and its figure, or a figure and its label, that change nothing.
PASS_OVER = frozenset(
    {
        "nguoi",
        "ng",
        "hv",
        "hoc",
        "vien",
        "dan",
        "ban",
        "da",
        "duoc",
        "dc",
        "co",
        "la",
        "so",
        "tong",
        "cong",
        "khoang",
        "chung",
        "tam",
        "gan",
        "hon",
        "tren",
        "lai",
        "roi",
        "a",
        "nhe",
        ":",
        "=",
        "-",
    }
)
# What tells a completed figure from an enrolled one.
COMPLETED_LABELS = (
    "hoan thanh",
    "xong",
    "ht",
    "tot nghiep",
    "chung chi",
    "chung nhan",
)
ENROLLED_LABELS = (
    "dang ky",
    "dang ki",
    "dky",
    "dk",
    "tham gia",
    "dang hoc",
)
# A figure said to be new or added is not the cumulative total the report asks for.
INCREMENT_WORDS = frozenset({"them", "tang", "moi", "bo sung", "tang them"})
# Clauses: a label never reaches across these.
BOUNDARY_WORDS = frozenset({"va", "con", "voi", "nhung"})
BOUNDARY_MARKS = frozenset({",", ";", ".", "!", "(", ")", "\n"})
# A message that asks something is answered, never stored.
QUESTION_PHRASES = (
    "bao nhieu",
    "the nao",
    "lam sao",
    "duoc khong",
    "phai khong",
    "co khong",
    "hay khong",
    "dung khong",
    "sao vay",
)
# Joining two figures into a range or a ratio: "30-40", "30 đến 40", "35/50".
RANGE_JOINERS = frozenset({"-", "~", "/", "den", "toi"})
NEGATIVE_WORDS = frozenset({"am", "tru"})
PERCENT_PHRASES = ("%", "phan tram")
# People words written glued to the figure: "35ng", "120người" (as typed, not folded).
GLUED_PEOPLE = ("người", "nguoi", "ng", "hv")
# "đ" is a letter of its own (no combining mark to strip): folded to "d" by hand.
D_WITH_STROKE = frozenset("đĐ")
