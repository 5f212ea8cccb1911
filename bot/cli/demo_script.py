"""What the demo's people type: their Telegram names, their figures and their messages.

This is data, not the bot's interface: the heads, the officer and a stranger write these words to
the bot as people in Ea Knốp would, and the bot has to read them. Everything the demo itself says
(act titles, explanations) is in the catalog under `demo.*`.
"""

from __future__ import annotations

# Telegram profile names (the bot shows them as "Người gửi: …").
ADMIN_NAME = "Quản trị"
OFFICER_NAME = "Cán bộ VHXH"
STRANGER_NAME = "Người lạ"


def head_name(unit: str) -> str:
    """The Telegram name of a unit's head, as the heads set it up."""
    return f"Trưởng {unit}"


# A stranger types a made-up invite code.
WRONG_CODE = "ma-sai"

# Act 3: the first head reports with the command, the second answers in words.
FIRST_FIGURES = (250, 40)
ENROLLED_IN_WORDS = "khoảng một trăm hai mươi người"
# The first head notices a typo and corrects it, giving the reason.
CORRECTED_FIGURES = (205, 40)
CORRECTION_REASON = "gõ nhầm 250, đúng là 205"

# Act 4: a head writes as in the Zalo group.
FREE_TEXT_REPORT = "được 35 người"

# Act 5: a new report, then a difficulty, the officer's answer and the head's answer back.
NOTE_FIGURES = (260, 45)
NOTE = "Nhiều cụ cao tuổi không có điện thoại thông minh, xin xã hỗ trợ máy để học."
ANSWER = "Tối thứ Bảy, Đoàn xã mang 10 máy tính bảng xuống nhà văn hóa để hướng dẫn bà con."
ANSWER_BACK = "Cảm ơn xã, chúng tôi sẽ mời bà con tới đông đủ."

# Act 9: a head shares a good model (the first line is its title).
GOOD_MODEL_TITLE = "Lớp học điện thoại buổi tối ở nhà văn hóa"
GOOD_MODEL_BODY = (
    "Tối thứ Bảy hằng tuần, đoàn viên thanh niên mang máy chiếu ra nhà văn hóa, hướng dẫn "
    "bà con cài VNeID và vào học trên nền tảng Bình dân học vụ số. Ai không có điện thoại "
    "thông minh thì học chung máy với con cháu."
)
# Figures of the good model's unit when it reaches the target: completed courses stay so.
TARGET_COMPLETED = 200

# `binhdan demo --province`: three communes (as its unit list names them), their officers, the
# province officer, a head per unit.
PROVINCE_COMMUNES = {"24001": "Xã Ea Knốp", "24002": "Xã Ea Kar", "24003": "Xã Ea Kmút"}
COMMUNE_OFFICER_NAMES = {
    "24001": "Cán bộ xã Ea Knốp",
    "24002": "Cán bộ xã Ea Kar",
    "24003": "Cán bộ xã Ea Kmút",
}
PROVINCE_OFFICER_NAME = "Cán bộ Sở KH&CN"
# What the admin types to give each its scope.
GRANT_COMMUNE_OFFICER = "/phanquyen {user} cán bộ {code}"
GRANT_PROVINCE_OFFICER = "/phanquyen {user} cán bộ tỉnh"
# What each commune's heads report: (enrolled, completed) per unit code.
PROVINCE_FIGURES = {
    "EK01": (410, 120),
    "EK02": (150, 30),
    "KR01": (220, 60),
    "BT01": (700, 300),
    "BT02": (260, 80),
}
PROVINCE_DIRECTIVE = (
    "Đề nghị các xã, phường đẩy mạnh tuyên truyền để người dân đăng ký học trên nền tảng "
    "Bình dân học vụ số; báo cáo kết quả về Sở Khoa học và Công nghệ trước ngày 15 hằng tháng."
)
