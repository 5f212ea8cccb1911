"""Vietnamese number vocabulary as heads type it: data for the figure reader, not UI text."""

from __future__ import annotations

# Words that carry no value: "khoảng 120 người" is 120.
FILLERS = frozenset(
    {
        "người",
        "nguoi",
        "ng",
        "khoảng",
        "khoang",
        "chừng",
        "chung",
        "tầm",
        "độ",
        "do",
        "được",
        "duoc",
        "đã",
        "da",
        "có",
        "co",
        "là",
        "la",
        "dân",
        "dan",
        "hv",
        "học",
        "viên",
        "đk",
        "dk",
        "đăng",
        "ký",
        "kí",
        "dang",
        "ky",
        "ki",
        "số",
        "so",
        "tổng",
        "tong",
        "cộng",
        "cong",
        "gần",
        "gan",
        "hơn",
        "hon",
        "trên",
        "tren",
    }
)
# Exact spellings first (diacritics keep "tám" = 8 apart from "tầm" = about).
DIGIT_WORDS = {
    "không": 0,
    "một": 1,
    "mốt": 1,
    "hai": 2,
    "ba": 3,
    "bốn": 4,
    "tư": 4,
    "năm": 5,
    "lăm": 5,
    "nhăm": 5,
    "sáu": 6,
    "bảy": 7,
    "bẩy": 7,
    "tám": 8,
    "chín": 9,
}
ASCII_DIGIT_WORDS = {
    "khong": 0,
    "mot": 1,
    "hai": 2,
    "ba": 3,
    "bon": 4,
    "tu": 4,
    "nam": 5,
    "lam": 5,
    "nham": 5,
    "sau": 6,
    "bay": 7,
    "tam": 8,
    "chin": 9,
}
MULTIPLIERS = {
    "trăm": 100,
    "tram": 100,
    "nghìn": 1000,
    "nghin": 1000,
    "ngàn": 1000,
    "ngan": 1000,
    "triệu": 1_000_000,
    "trieu": 1_000_000,
}
TENS = frozenset({"mười", "mươi", "muoi", "chục", "chuc"})
ZERO_FILLERS = frozenset({"linh", "lẻ", "le"})
HALF = frozenset({"rưỡi", "ruoi"})
RANGE_WORDS = frozenset({"đến", "den", "tới", "toi", "->"})
NEGATIVE_WORDS = ("âm ", "am ")
PERCENT_WORDS = ("phần trăm", "phan tram")
