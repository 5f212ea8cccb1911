"""Every user-visible text, in Vietnamese (NFC), kept in one place for review and translation."""

from __future__ import annotations

# Role names as users read them.
ROLE_LABELS = {
    "head": "trưởng thôn/buôn (người báo cáo của đơn vị)",
    "officer": "cán bộ xã",
    "admin": "quản trị viên",
}

KIND_LABELS = {
    "thon": "Thôn",
    "buon": "Buôn",
    "to_dan_pho": "Tổ dân phố",
    "co_quan": "Cơ quan",
    "truong_hoc": "Trường học",
    "khac": "Khác",
}

# Command menu descriptions (Telegram shows them next to each command).
COMMAND_DESCRIPTIONS = {
    "start": "Bắt đầu / đăng ký",
    "huongdan": "Hướng dẫn sử dụng",
    "huy": "Hủy thao tác đang làm",
    "baocao": "Báo cáo số người đăng ký học",
    "tiendo": "Xem tiến độ của đơn vị",
    "thongbao": "Soạn và gửi thông báo",
    "moi": "Mã mời và mã QR",
    "phanquyen": "Phân quyền người dùng",
    "donvi": "Danh sách đơn vị",
    "thongke": "Thống kê và biểu đồ",
    "chuabaocao": "Đơn vị chưa báo cáo",
    "xuatexcel": "Xuất báo cáo Excel",
    "lich": "Lịch nhắc tự động",
}

# Access and errors.
NOT_ALLOWED = "⛔ Bạn không có quyền dùng lệnh này."
NOT_REGISTERED = (
    "Bạn chưa đăng ký với đơn vị nào. Hãy quét mã QR hoặc bấm đường link mời "
    "do cán bộ xã gửi để đăng ký."
)
INTERNAL_ERROR = "Xin lỗi, hệ thống đang gặp sự cố. Vui lòng thử lại sau ít phút."
NOTHING_TO_CANCEL = "Không có thao tác nào đang làm."
NOT_UNDERSTOOD = "Bot chưa hiểu tin nhắn này. Gõ /baocao để báo cáo, /huongdan để xem hướng dẫn."
CANCELLED = "Đã hủy."

# /start and registration.
INVITE_INVALID = "❌ Mã mời không đúng. Vui lòng kiểm tra lại đường link hoặc mã QR."
INVITE_USED_UP = "❌ Mã mời này đã hết lượt sử dụng. Vui lòng liên hệ cán bộ xã để lấy mã mới."
INVITE_EXPIRED = "❌ Mã mời này đã hết hạn. Vui lòng liên hệ cán bộ xã để lấy mã mới."
INVITE_REVOKED = "❌ Mã mời này đã bị thu hồi. Vui lòng liên hệ cán bộ xã để lấy mã mới."


def registered_head(unit_name: str, moved_from: str | None) -> str:
    """Reply to a head who has just registered (escaped unit names expected)."""
    moved = f"\n(Đã chuyển từ <b>{moved_from}</b>.)" if moved_from else ""
    return (
        f"✅ Đăng ký thành công! Bạn là người báo cáo của <b>{unit_name}</b>.{moved}\n\n"
        "Bot sẽ gửi cho bạn thông báo của xã và lời nhắc báo cáo.\n"
        "• Gõ /baocao để báo cáo số người đăng ký học.\n"
        "• Gõ /huongdan để xem hướng dẫn."
    )


def registered_officer(role_label: str) -> str:
    """Reply to an officer or admin who registered with an officer invite."""
    return (
        f"✅ Đăng ký thành công với vai trò <b>{role_label}</b>.\n"
        "Gõ /huongdan để xem các lệnh dành cho bạn."
    )


def greeting(role: str | None, unit_name: str | None, user_id: int) -> str:
    """Plain /start greeting, by role, always showing the user's Telegram id."""
    your_id = f"\n\nMã người dùng Telegram của bạn: <code>{user_id}</code>"
    if role is None:
        return (
            "Xin chào! Đây là bot hỗ trợ phong trào <b>“Bình dân học vụ số”</b> của xã.\n"
            "Để đăng ký, hãy quét mã QR hoặc bấm đường link mời của đơn vị bạn." + your_id
        )
    if role == "head":
        unit = f" của <b>{unit_name}</b>" if unit_name else ""
        return (
            f"Xin chào! Bạn là người báo cáo{unit}.\n"
            "• /baocao — báo cáo số người đăng ký học\n"
            "• /huongdan — hướng dẫn" + your_id
        )
    return f"Xin chào {ROLE_LABELS[role]}!\nGõ /huongdan để xem các lệnh dành cho bạn." + your_id


def help_text(course_url: str, commune_name: str) -> str:
    """The /huongdan text with the course link."""
    return (
        f"<b>Hướng dẫn — “Bình dân học vụ số” xã {commune_name}</b>\n\n"
        f"1. Người dân đăng nhập bằng tài khoản <b>VNeID</b> tại {course_url} và chọn khóa học.\n"
        "2. Trưởng thôn/buôn gõ /baocao để báo cáo <b>tổng số</b> người đã đăng ký học "
        "(số cộng dồn, không phải số mới trong tuần).\n"
        "3. Khi nhận thông báo của xã, bấm <b>✅ Đã nhận</b>.\n\n"
        "Cán bộ xã: /thongbao gửi thông báo. Quản trị: /donvi, /moi, /phanquyen.\n"
        "Gõ /huy để hủy thao tác đang làm.\n\n"
        "“Đi từng ngõ, gõ từng nhà, hướng dẫn từng người.”"
    )


# Roles.
GRANT_USAGE = "Cú pháp: /phanquyen &lt;mã người dùng&gt; &lt;admin|officer|head&gt;"
GRANT_BAD_ROLE = "❌ Vai trò không hợp lệ. Chọn một trong: admin, officer, head."
GRANT_BAD_USER = "❌ Mã người dùng phải là một số (người đó xem được bằng lệnh /start)."
GRANT_SELF_DEMOTE = "❌ Bạn không thể tự bỏ quyền quản trị của chính mình."
GRANT_HEAD_NEEDS_UNIT = (
    "❌ Người này chưa thuộc đơn vị nào. Để làm trưởng thôn/buôn, họ cần đăng ký bằng mã mời "
    "của đơn vị."
)


def role_granted(user_id: int, role: str) -> str:
    """Confirm a role change to the admin."""
    return f"✅ Đã cấp vai trò <b>{ROLE_LABELS[role]}</b> cho người dùng <code>{user_id}</code>."


def role_changed_notice(role: str) -> str:
    """Tell a user that their role has changed."""
    return f"ℹ️ Vai trò của bạn đã được đổi thành <b>{ROLE_LABELS[role]}</b>. Gõ /huongdan."


# Units.
NO_UNITS = "Chưa có đơn vị nào. Hãy nhập danh sách bằng lệnh <code>binhdan units import</code>."
UNKNOWN_UNIT = "❌ Không tìm thấy đơn vị có mã này. Gõ /donvi để xem danh sách."


def units_header(count: int) -> str:
    """Header of the /donvi list."""
    return f"<b>Danh sách đơn vị ({count})</b>"


# Invites.
def invite_caption(unit_name: str, link: str) -> str:
    """Caption of an invite QR photo."""
    return (
        f"Mã mời của <b>{unit_name}</b>\n{link}\n\n"
        "Quét mã QR bằng điện thoại (hoặc bấm link), rồi bấm <b>Bắt đầu</b> (Start)."
    )


def officer_invite_caption(link: str, hours: int) -> str:
    """Caption of a one-use officer invite."""
    return (
        f"Mã mời <b>cán bộ xã</b> (dùng 1 lần, hết hạn sau {hours} giờ)\n{link}\n\n"
        "Chỉ gửi riêng cho cán bộ cần cấp quyền."
    )


def invite_regenerated(unit_name: str) -> str:
    """Confirm that a unit's old codes were revoked."""
    return f"🔄 Đã thu hồi mã cũ và tạo mã mời mới cho <b>{unit_name}</b>."


INVITES_LIST_HEADER = (
    "<b>Link mời các đơn vị</b>\n"
    "• /moi &lt;mã đơn vị&gt; — mã QR của một đơn vị\n"
    "• /moi &lt;mã đơn vị&gt; lammoi — thu hồi mã cũ, tạo mã mới\n"
    "• /moi canbo — mã mời cán bộ xã (dùng 1 lần)"
)


def unit_line(code: str, name: str, kind: str, adults: str, contacts: int) -> str:
    """One unit in /donvi (escaped values expected)."""
    registered = f"👥 {contacts}" if contacts else "⚠️ chưa có người đăng ký"
    kind_label = KIND_LABELS[kind]
    return (
        f"<code>{code}</code> — {name} ({kind_label}, {adults} người trưởng thành) · {registered}"
    )


UNKNOWN_ADULTS = "chưa rõ"


# Reports.
REPORT_BUTTON = "📝 Báo cáo"
SKIP_BUTTON = "Bỏ qua"
CONFIRM_BUTTON = "✅ Xác nhận"
EDIT_BUTTON = "✏️ Sửa"
NOTE_BUTTON = "✍️ Khó khăn, đề xuất"
REPORT_CANCELLED = "Đã hủy, chưa ghi nhận gì."
REPORT_TIMEOUT = "⌛ Hết thời gian chờ, báo cáo chưa được ghi. Gõ /baocao để báo cáo lại."
ASK_COMPLETED = "Số người <b>đã hoàn thành</b> khóa học (tổng đến nay)? Chưa có số thì bấm Bỏ qua."
ASK_REASON = "Lý do điều chỉnh? Gõ ngắn gọn, ví dụ: <i>tuần trước gõ nhầm</i>."
REASON_TOO_LONG = "Lý do dài quá, vui lòng gõ ngắn hơn (tối đa 300 ký tự)."
ASK_NOTE = "Gõ khó khăn hoặc đề xuất của đơn vị (ngắn gọn):"
NOTE_SAVED = "✅ Đã lưu ý kiến của đơn vị. Cảm ơn!"
NOTE_REFUSED = "Không tìm thấy báo cáo của bạn để ghi ý kiến."
TOO_MANY_FIGURES = "Gửi tối đa 2 số: số đăng ký học và số hoàn thành, ví dụ: /baocao 120 45"
NO_REPORT_YET = "Đơn vị chưa có báo cáo nào. Gõ /baocao để báo cáo."


def ask_enrolled(unit_name: str) -> str:
    """First question of /baocao (escaped unit name expected)."""
    return (
        f"📝 Báo cáo của <b>{unit_name}</b>\n"
        "Tổng số người <b>đã đăng ký học</b> đến nay? Gõ số, ví dụ: 120"
    )


def retry(reason: str) -> str:
    """A refusal followed by a re-prompt."""
    return f"❌ {reason}\nVui lòng gõ lại."


def confirm_decrease(old: str, new: str, old_done: str | None, new_done: str | None) -> str:
    """Ask before storing a figure lower than the last report."""
    done = f"\n• Hoàn thành: {old_done} → <b>{new_done}</b>" if old_done and new_done else ""
    return (
        "⚠️ Số mới <b>thấp hơn</b> số đã báo:\n"
        f"• Đăng ký học: {old} → <b>{new}</b>{done}\n"
        "Số báo cáo là số cộng dồn nên thường không giảm. Đúng là cần sửa thì bấm "
        "<b>Xác nhận</b>; muốn nhập lại thì bấm <b>Sửa</b>."
    )


def report_echo(
    unit_name: str,
    enrolled: str,
    change: int | None,
    completed: str | None,
    percent: str | None,
    period: str,
    *,
    correction: bool,
    on_behalf: bool,
) -> str:
    """The reply after recording: it repeats exactly what was stored."""
    head = "✅ Đã ghi nhận điều chỉnh" if correction else "✅ Đã ghi nhận"
    parts = [f"{head} — <b>{unit_name}</b>: {enrolled} người đăng ký học{_change(change)}"]
    if completed is not None:
        parts[0] += f", {completed} người hoàn thành"
    if percent is not None:
        parts.append(f"{percent} người trưởng thành")
    parts.append(f"kỳ {period}")
    behalf = "\n(Cán bộ xã báo cáo thay đơn vị.)" if on_behalf else ""
    return " · ".join(parts) + behalf


def _change(change: int | None) -> str:
    """Describe the change, e.g. "(tăng 15 so với kỳ trước)"."""
    if change is None:
        return ""
    if change == 0:
        return " (không đổi so với kỳ trước)"
    word = "tăng" if change > 0 else "giảm"
    return f" ({word} {abs(change):,} so với kỳ trước)".replace(",", ".")


def progress_text(
    unit_name: str,
    enrolled: str,
    adults: str | None,
    percent: str | None,
    completed: str | None,
    last_report: str,
    change: str | None,
    history: str,
) -> str:
    """The /tiendo answer (escaped values expected)."""
    of_adults = f" / {adults} người trưởng thành ({percent})" if adults and percent else ""
    lines = [f"📊 <b>Tiến độ — {unit_name}</b>", f"Đăng ký học: <b>{enrolled}</b>{of_adults}"]
    if completed is not None:
        lines.append(f"Hoàn thành: {completed}")
    if change is not None:
        lines.append(f"So với kỳ trước: {change}")
    lines.append(f"Báo cáo gần nhất: {last_report}")
    lines.append(f"\n6 kỳ gần đây:\n<pre>{history}</pre>")
    return "\n".join(lines)


# Directives.
ACK_BUTTON = "✅ Đã nhận"
DIRECTIVE_HEADER = "📢 <b>THÔNG BÁO CỦA UBND XÃ {commune}</b>"
DIRECTIVE_COURSE = "🔗 Học trên nền tảng Bình dân học vụ số: {url}"
DIRECTIVE_DEADLINE = "⏰ Hạn báo cáo: <b>{deadline}</b>"
DIRECTIVE_ATTACHMENT = "📎 Văn bản đính kèm ở trên."
DIRECTIVE_PART = "(tiếp theo {index}/{total})"


def acknowledged_button(when: str) -> str:
    """The ack button once pressed."""
    return f"✅ Đã nhận lúc {when}"


ACK_RECORDED = "Cảm ơn! Đã ghi nhận đơn vị đã nhận thông báo."
ACK_PREVIEW = "Đây là bản xem trước, chưa gửi."
ACK_NOT_FOR_YOU = "Thông báo này không gửi cho bạn."

AUDIENCE_LABELS = {
    "all": "Tất cả đơn vị",
    "thon": "Thôn/buôn",
    "co_quan": "Cơ quan/trường học",
}
COMPOSE_MENU = "📢 <b>Soạn thông báo</b>\nChọn cách soạn:"
COMPOSE_NEW = "✍️ Soạn mới"
COMPOSE_TEMPLATE = "📄 Dùng mẫu"
COMPOSE_RECENT = "🕘 Đã gửi gần đây"
ASK_CONTENT = (
    "Gửi nội dung thông báo: gõ chữ, chuyển tiếp (forward) một tin nhắn, "
    "hoặc gửi tệp PDF (có thể kèm chú thích)."
)
CONTENT_EMPTY = "❌ Chưa có nội dung. Hãy gõ chữ, chuyển tiếp tin nhắn hoặc gửi tệp."
ASK_NUMBER = "Số và ngày văn bản, ví dụ: <code>310/UBND-VHXH 20/04/2026</code>"
ASK_SUBJECT = "Trích yếu (V/v …), ví dụ: <i>đẩy mạnh phong trào Bình dân học vụ số</i>"
ASK_DEADLINE = "Hạn báo cáo (dd/mm/yyyy), ví dụ: <code>30/04/2026</code>"
BAD_DATE = "❌ Ngày không hợp lệ. Gõ theo dạng dd/mm/yyyy, ví dụ 30/04/2026."
PAST_DEADLINE = "❌ Hạn báo cáo đã qua. Chọn một ngày từ hôm nay trở đi."
TOO_LONG_FIELD = "❌ Dài quá, vui lòng gõ ngắn hơn."
BUTTON_NUMBER = "🔢 Số/ngày"
BUTTON_SUBJECT = "📝 Trích yếu"
BUTTON_DEADLINE = "⏰ Hạn"
BUTTON_AUDIENCE = "👥 Gửi tới: {audience}"
BUTTON_SEND = "📤 Gửi"
BUTTON_CANCEL = "Hủy"
BUTTON_EDIT_BODY = "✏️ Sửa nội dung"
BUTTON_ALL = "Tất cả"
BUTTON_THON = "Thôn/buôn"
BUTTON_CO_QUAN = "Cơ quan/trường học"
BUTTON_PICK = "Chọn đơn vị"
BUTTON_DONE = "✔️ Xong"
BUTTON_PREV = "◀"
BUTTON_NEXT = "▶"
BUTTON_UNACKED = "Chưa xác nhận"
ASK_AUDIENCE = "Gửi tới ai?"
PICK_UNITS = "Chọn đơn vị nhận (bấm để đánh dấu ✔️), rồi bấm Xong:"
PICK_NONE = "Chưa chọn đơn vị nào."
COMPOSE_CANCELLED = "Đã hủy, không gửi gì."
NO_RECIPIENTS = "❌ Chưa có ai đăng ký ở các đơn vị đã chọn, nên chưa gửi được."
NO_RECENT = "Chưa gửi thông báo nào."


def preview_control(audience: str, units: int, contacts: int) -> str:
    """The message under the preview, with the send and edit buttons."""
    return (
        "👆 <b>Bản xem trước</b>, đúng như người nhận sẽ thấy.\n"
        f"Gửi tới: <b>{audience}</b> — {units} đơn vị, {contacts} người nhận."
    )


def sending_progress(done: int, total: int) -> str:
    """The progress message, edited in place."""
    return f"📤 Đang gửi {done}/{total}…"


def delivery_summary(
    subject: str,
    sent: int,
    failed: int,
    blocked: int,
    blocked_names: list[str],
    acked: int,
    units: int,
) -> str:
    """The final summary of a broadcast (escaped names expected)."""
    lines = [
        f"✅ <b>Đã gửi xong</b>: {subject}",
        f"• Đã gửi: {sent}",
        f"• Lỗi: {failed}",
        f"• Đã chặn bot: {blocked}",
    ]
    if blocked_names:
        lines.append("  " + ", ".join(blocked_names))
    lines.append(f"• Đơn vị đã xác nhận: {acked}/{units}")
    return "\n".join(lines)


def unacknowledged_units(subject: str, names: list[str]) -> str:
    """The units that have not pressed "Đã nhận" yet (escaped names expected)."""
    if not names:
        return f"🎉 Tất cả đơn vị đã xác nhận: {subject}"
    return f"<b>Chưa xác nhận</b> ({len(names)}): {subject}\n" + "\n".join(f"• {n}" for n in names)


def recent_line(date_text: str, subject: str, sent: int, total: int, acked: int, units: int) -> str:
    """One line of the recent directives list."""
    return f"• {date_text} — {subject}\n  đã gửi {sent}/{total}, xác nhận {acked}/{units} đơn vị"


DEFAULT_SUBJECT = "Thông báo của UBND xã"

# The built-in template, written from the commune's letter on Resolution 57-NQ/TW and the
# "Bình dân học vụ số" movement (in our own words).
TEMPLATE_SUBJECT = "Tiếp tục đẩy mạnh phong trào “Bình dân học vụ số”"
TEMPLATE_BODY = (
    "Kính gửi các cơ quan, trường học và 45 thôn, buôn trên địa bàn xã.\n\n"
    "Để thực hiện Nghị quyết 57-NQ/TW của Bộ Chính trị về phát triển khoa học, công nghệ, "
    "đổi mới sáng tạo và chuyển đổi số, UBND xã đề nghị các đơn vị:\n\n"
    "1. Tuyên truyền Nghị quyết 57-NQ/TW đến cán bộ, hội viên và Nhân dân qua loa truyền "
    "thanh, mạng xã hội và các buổi sinh hoạt của thôn, buôn, cơ quan.\n\n"
    "2. Vận động mọi người đăng nhập bằng tài khoản VNeID và tham gia các khóa học trên nền "
    "tảng Bình dân học vụ số; Tổ công nghệ số cộng đồng “đi từng ngõ, gõ từng nhà, hướng dẫn "
    "từng người”.\n\n"
    "3. Nhân rộng cách làm hay, biểu dương người tiêu biểu, và kịp thời phản bác thông tin "
    "sai trái về chuyển đổi số.\n\n"
    "Trưởng thôn, buôn và thủ trưởng các đơn vị báo cáo số người đăng ký học bằng lệnh "
    "/baocao đúng hạn. Không để ai bị bỏ lại phía sau."
)
TEMPLATE_DEADLINE_DAYS = 7


# Statistics.
BUTTON_DETAIL = "📋 Chi tiết"
BUTTON_LATE = "⏰ Chưa báo cáo"
BUTTON_EXCEL = "📊 Xuất Excel"
BUTTON_NUDGE = "🔔 Nhắc ngay"
NO_DATA = "Chưa có đơn vị nào. Hãy nhập danh sách đơn vị trước."
ALL_REPORTED = "🎉 Tất cả đơn vị đã báo cáo kỳ này."
CHART_TITLE = "Tiến độ Bình dân học vụ số — xã {commune}"
XLSX_CAPTION = "📊 Báo cáo kết quả phong trào “Bình dân học vụ số” — kỳ {period}"
INVITE_SHEET_CAPTION = "🖨 Phiếu mời in sẵn: mỗi đơn vị một mã QR."
NUDGE_SUBJECT = "Nhắc báo cáo"


def summary_text(
    commune: str,
    period: str,
    adults: str,
    enrolled: str,
    percent: str,
    completed: str,
    reported: str,
    agencies: str,
    change: str,
    deadline: str | None,
    top: list[str],
    bottom: list[str],
) -> str:
    """The /thongke summary (values already formatted and escaped)."""
    lines = [
        f"📊 <b>Kết quả Bình dân học vụ số — xã {commune}</b>",
        f"Kỳ {period}",
        "",
        f"👥 Người trưởng thành (thôn/buôn): <b>{adults}</b>",
        f"📝 Đã đăng ký học: <b>{enrolled}</b> ({percent})",
        f"🎓 Đã hoàn thành: {completed}",
        f"📈 So với kỳ trước: {change}",
        f"✅ Đã báo cáo kỳ này: {reported}",
        f"🏛 Cơ quan/trường học: {agencies}",
    ]
    if deadline:
        lines.append(f"⏰ Hạn báo cáo: {deadline}")
    if top:
        lines += ["", "<b>Cao nhất:</b>", *top]
    if bottom:
        lines += ["", "<b>Thấp nhất:</b>", *bottom]
    return "\n".join(lines)


def late_line(name: str, contacts: str, last: str) -> str:
    """One unit in /chuabaocao."""
    return f"• <b>{name}</b> — {contacts} · lần cuối: {last}"


def late_header(count: int, total: int, period: str) -> str:
    """Heading of /chuabaocao."""
    return f"⏰ <b>Chưa báo cáo kỳ {period}</b>: {count}/{total} đơn vị"


def chase_text(period: str, deadline: str | None) -> str:
    """What a late unit receives (plain text: it is escaped when rendered)."""
    due = f" trước {deadline}" if deadline else ""
    return (
        f"⏰ Đơn vị chưa báo cáo kỳ {period}. Đề nghị trưởng thôn/buôn báo cáo{due}: "
        "bấm nút 📝 Báo cáo bên dưới hoặc gõ /baocao."
    )


def nudge_queued(count: int, units: int) -> str:
    """Confirmation of "Nhắc ngay"."""
    return f"🔔 Đang nhắc {units} đơn vị ({count} người nhận)."


NO_LATE_CONTACTS = "Các đơn vị chưa báo cáo đều chưa có người đăng ký, nên chưa nhắc được."
NOBODY = "chưa có người đăng ký"
NEVER = "chưa bao giờ"


# Schedules.
SCHEDULE_KIND_LABELS = {
    "reminder": "📚 Nhắc học và báo cáo",
    "chase": "⏰ Nhắc đơn vị chưa báo cáo",
    "escalation": "🚨 Báo cán bộ: đơn vị trễ hạn",
    "digest": "📊 Bản tin tổng hợp",
    "directive": "📢 Thông báo định kỳ",
}
SCHEDULED_DIRECTIVE_SUBJECT = "Thông báo định kỳ"
DEFAULT_REMINDER = (
    "📚 Tuần mới, mời bà con tiếp tục học trên nền tảng Bình dân học vụ số (đăng nhập bằng "
    "VNeID). Trưởng thôn/buôn nhớ báo cáo tổng số người đã đăng ký học bằng nút 📝 Báo cáo."
)
SCHEDULES_HEADER = (
    "🗓 <b>Lịch gửi tự động</b> (giờ Việt Nam). Bấm nút dưới mỗi lịch để chạy ngay, "
    "tạm dừng, sửa giờ hoặc xóa."
)
NO_SCHEDULES = "Chưa có lịch nào. Bấm ➕ Thêm để tạo."
BUTTON_RUN_NOW = "▶ Chạy ngay"
BUTTON_PAUSE = "⏸ Tạm dừng"
BUTTON_RESUME = "▶ Tiếp tục"
BUTTON_EDIT_TIME = "✏️ Sửa giờ"
BUTTON_DELETE = "🗑 Xóa"
BUTTON_ADD = "➕ Thêm"
ASK_RULE = (
    "Gõ lịch mới, ví dụ: <code>thứ 2 08:00</code>, <code>t2,t5 16:00</code>, "
    "<code>hằng ngày 07:30</code>, <code>ngày 5 08:00</code>, <code>01/12/2026 08:00</code>."
)
ASK_KIND = "Chọn loại lịch:"
ASK_TEMPLATE = "Gõ nội dung tin nhắn (hoặc gõ <code>-</code> để dùng nội dung mặc định):"
SCHEDULE_SAVED = "✅ Đã lưu lịch."
SCHEDULE_DELETED = "🗑 Đã xóa lịch."
SCHEDULE_GONE = "Lịch này không còn nữa."
STATUS_ON = "✅ đang bật"
STATUS_OFF = "⏸ tạm dừng"
RUN_STATUS = {"done": "đã gửi", "skipped": "bỏ lỡ (bot tắt)", "manual": "chạy tay"}


def schedule_line(number: int, kind: str, rule: str, state: str, next_time: str, last: str) -> str:
    """One schedule in /lich."""
    return (
        f"<b>#{number} {SCHEDULE_KIND_LABELS[kind]}</b>\n{rule} · {state}\n"
        f"Lần tới: {next_time} · Lần cuối: {last}"
    )


def ran_now(label: str, recipients: int) -> str:
    """Confirmation of "Chạy ngay"."""
    return f"▶ Đã chạy: {label} — {recipients} người nhận."


def escalation_text(period: str, lines: list[str]) -> str:
    """What officers get after the deadline (plain text)."""
    if not lines:
        return f"🎉 Hết hạn báo cáo kỳ {period}: tất cả đơn vị đã báo cáo."
    return f"🚨 Hết hạn báo cáo kỳ {period}: {len(lines)} đơn vị chưa báo cáo:\n" + "\n".join(lines)


def digest_text(
    commune: str,
    period: str,
    enrolled: str,
    percent: str,
    change: str,
    reported: str,
    top: list[str],
    late: list[str],
) -> str:
    """The weekly digest for officers and leaders (plain text)."""
    lines = [
        f"📊 Bản tin Bình dân học vụ số — xã {commune}, kỳ {period}",
        f"Đã đăng ký học: {enrolled} ({percent}), {change} so với kỳ trước.",
        f"Đã báo cáo: {reported}.",
    ]
    if top:
        lines.append("Dẫn đầu: " + ", ".join(top) + ".")
    if late:
        lines.append("Chưa báo cáo: " + ", ".join(late) + ".")
    return "\n".join(lines)
