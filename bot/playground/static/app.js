"use strict";
// The playground page. Each open person is a phone; everything the bot does arrives through the
// sandbox's event stream (/_sandbox/stream), and everything a person does goes through the
// sandbox's control API, exactly as the tests drive it. No library, no build step.

const ROLE_LABELS = {
  admin: "Quản trị viên",
  officer: "Cán bộ xã",
  head: "Trưởng thôn/buôn",
  stranger: "Chưa đăng ký",
  newcomer: "Người mới",
};
// Times as the commune reads them, whatever the computer's own time zone.
const TIME_ZONE = "Asia/Ho_Chi_Minh";
const METHOD_LABELS = {
  sendMessage: "gửi tin",
  sendPhoto: "gửi ảnh",
  sendDocument: "gửi tệp",
  sendMediaGroup: "gửi album",
  editMessageText: "sửa tin",
  editMessageCaption: "sửa chú thích",
  editMessageReplyMarkup: "sửa nút",
  answerCallbackQuery: "trả lời nút bấm",
  setMyCommands: "đặt menu lệnh",
  getUpdates: "nhận cập nhật",
};
const MAX_CALL_ROWS = 80;
const state = {
  people: [],
  botUsername: "",
  open: [],
  chats: new Map(),
  calls: [],
  trainingAvailable: false,
  bot: { descriptions: {}, commands: {}, flood: {} },
};

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "class") node.className = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else if (key === "dataset") Object.assign(node.dataset, value);
    else node.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child !== null && child !== undefined && child !== false) node.append(child);
  }
  return node;
}

async function api(path, body) {
  const init = body === undefined ? {} : {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
  };
  const response = await fetch(path, init);
  if (!response.ok) throw new Error(`${response.status} ${await response.text()}`);
  return response.json();
}

function chatState(chatId) {
  if (!state.chats.has(chatId)) {
    state.chats.set(chatId, { messages: new Map(), keyboard: null, keyboardHidden: false });
  }
  return state.chats.get(chatId);
}

const person = (userId) => state.people.find((p) => p.user_id === userId);
const phoneOf = (chatId) => document.querySelector(`.phone[data-user="${chatId}"]`);
const fileUrl = (fileId) => `/_sandbox/files/${encodeURIComponent(fileId)}`;

function setStatus(text) {
  document.getElementById("status").textContent = text;
}

// ---- what a person does -------------------------------------------------------------------

async function sendAs(userId, fields) {
  const who = person(userId);
  await api("/_sandbox/message", { user_id: userId, first_name: who ? who.name : undefined, ...fields });
}

async function press(userId, message, data) {
  await api("/_sandbox/callback", {
    user_id: userId, chat_id: message.chat.id, message_id: message.message_id, data,
  });
}

async function sendPhoto(userId, file, caption) {
  const query = new URLSearchParams({ name: file.name || "anh.jpg", mime: file.type || "image/jpeg" });
  const response = await fetch(`/_sandbox/files?${query}`, { method: "POST", body: file });
  if (!response.ok) throw new Error(await response.text());
  const { file_id: fileId } = await response.json();
  await sendAs(userId, { photo: { file_id: fileId }, caption: caption || undefined });
}

// ---- formatted text: Telegram entities (UTF-16 offsets, like JavaScript strings) -------------

const URL_PATTERN = /https?:\/\/[^\s<>"]+/g;

function deepLinkCode(url) {
  const match = /^https?:\/\/t\.me\/([A-Za-z0-9_]+)\?start=([A-Za-z0-9_-]+)$/.exec(url);
  return match && match[1] === state.botUsername ? match[2] : null;
}

function linkNode(url, label, viewer) {
  const code = deepLinkCode(url);
  if (code !== null) {
    return el("button", { type: "button", class: "deeplink", onclick: () => openLinkDialog(url, code, viewer) }, label);
  }
  return el("a", { href: url, target: "_blank", rel: "noopener noreferrer" }, label);
}

function linkify(text, viewer, insideLink) {
  if (insideLink) return [text];
  const out = [];
  let last = 0;
  for (const match of text.matchAll(URL_PATTERN)) {
    out.push(text.slice(last, match.index));
    out.push(linkNode(match[0], match[0], viewer));
    last = match.index + match[0].length;
  }
  out.push(text.slice(last));
  return out.filter((part) => part !== "");
}

function entityNode(entity, viewer) {
  switch (entity.type) {
    case "bold": return el("b");
    case "italic": return el("i");
    case "underline": return el("u");
    case "strikethrough": return el("s");
    case "code": return el("code");
    case "pre": return el("pre");
    case "spoiler": return el("span", { class: "spoiler" });
    case "blockquote": case "expandable_blockquote": return el("blockquote");
    case "text_link": return linkNode(entity.url, "", viewer);
    case "text_mention": return el("b", { title: `Người dùng ${entity.user.id}` });
    default: return el("span");
  }
}

function formatted(text, entities, viewer) {
  const sorted = [...(entities || [])].sort((a, b) => a.offset - b.offset || b.length - a.length);
  const build = (start, end, list, insideLink) => {
    const out = [];
    let position = start;
    for (let i = 0; i < list.length;) {
      const entity = list[i];
      const stop = entity.offset + entity.length;
      let j = i + 1;
      while (j < list.length && list[j].offset < stop) j += 1;
      if (entity.offset > position) out.push(...linkify(text.slice(position, entity.offset), viewer, insideLink));
      const node = entityNode(entity, viewer);
      const link = insideLink || entity.type === "text_link";
      node.append(...build(entity.offset, stop, list.slice(i + 1, j), link));
      out.push(node);
      position = stop;
      i = j;
    }
    if (position < end) out.push(...linkify(text.slice(position, end), viewer, insideLink));
    return out;
  };
  return build(0, text.length, sorted, false);
}

// ---- rendering a message ----------------------------------------------------------------------

function sizeLabel(bytes) {
  if (!bytes) return "";
  return bytes < 1024 * 1024 ? `${Math.max(1, Math.round(bytes / 1024))} KB` : `${(bytes / 1048576).toFixed(1)} MB`;
}

function timeLabel(seconds) {
  return new Date(seconds * 1000).toLocaleTimeString("vi-VN", { hour: "2-digit", minute: "2-digit", timeZone: TIME_ZONE });
}

function inlineKeyboard(message, viewer) {
  const markup = message.reply_markup;
  if (!markup || !markup.inline_keyboard) return null;
  return el("div", { class: "keyboard" }, markup.inline_keyboard.map((row) => el("div", { class: "row" },
    row.map((button) => {
      if (button.url) return linkNode(button.url, button.text, viewer);
      return el("button", {
        type: "button", class: "inline",
        onclick: () => press(viewer, message, button.callback_data).catch(showError),
      }, button.text);
    }))));
}

function renderMessage(message, viewer) {
  const box = el("div", { class: `msg ${fromBot(message) ? "bot" : "me"}`, dataset: { id: message.message_id } });
  if (message.forward_origin) {
    const sender = message.forward_origin.sender_user;
    box.append(el("div", { class: "fwd" }, `↪ Chuyển tiếp từ ${sender ? sender.first_name : "…"}`));
  }
  if (message.photo) {
    const largest = message.photo[message.photo.length - 1];
    box.append(el("a", { href: fileUrl(largest.file_id), target: "_blank" },
      el("img", { src: fileUrl(largest.file_id), alt: "Ảnh", loading: "lazy" })));
  }
  if (message.document) {
    const doc = message.document;
    box.append(el("a", { class: "doc", href: `${fileUrl(doc.file_id)}?download=1`, download: doc.file_name },
      `📄 ${doc.file_name} · ${sizeLabel(doc.file_size)}`));
  }
  if (message.voice) box.append(el("div", {}, `🎤 Tin nhắn thoại (${message.voice.duration} giây)`));
  if (message.video) box.append(el("div", {}, `🎬 Video (${message.video.duration} giây)`));
  if (message.sticker) box.append(el("div", { class: "sticker" }, message.sticker.emoji || "🖼"));
  if (message.location) box.append(el("div", {}, `📍 Vị trí ${message.location.latitude}, ${message.location.longitude}`));
  if (message.contact) box.append(el("div", {}, `👤 ${message.contact.first_name} ${message.contact.phone_number}`));
  const text = message.text ?? message.caption;
  if (text) {
    const entities = message.text !== undefined ? message.entities : message.caption_entities;
    box.append(el("div", { class: "text" }, formatted(text, entities, viewer)));
  }
  box.append(el("div", { class: "meta" }, timeLabel(message.date), message.edit_date ? " · đã sửa" : ""));
  const keyboard = inlineKeyboard(message, viewer);
  if (keyboard) box.append(keyboard);
  return box;
}

function placeMessage(chatId, message, edited) {
  const phone = phoneOf(chatId);
  if (!phone) return;
  const log = phone.querySelector(".chat");
  const nearBottom = log.scrollHeight - log.scrollTop - log.clientHeight < 80;
  log.querySelector(".empty")?.remove();
  const node = renderMessage(message, chatId);
  const old = log.querySelector(`.msg[data-id="${message.message_id}"]`);
  if (old) {
    old.replaceWith(node);
    if (edited) node.classList.add("flash");
  } else {
    const later = [...log.querySelectorAll(".msg")].find((m) => Number(m.dataset.id) > message.message_id);
    log.insertBefore(node, later || null);
    // Follow the conversation unless the reader scrolled up; one's own message always shows.
    if (nearBottom || !fromBot(message)) log.scrollTop = log.scrollHeight;
  }
}

const fromBot = (message) => Boolean(message.from && message.from.is_bot);

function upsert(message, edited) {
  const chatId = message.chat.id;
  chatState(chatId).messages.set(message.message_id, message);
  placeMessage(chatId, message, edited);
}

function toast(chatId, text) {
  const phone = phoneOf(chatId);
  if (!phone) return;
  const box = phone.querySelector(".toast");
  box.textContent = text;
  box.hidden = false;
  clearTimeout(box.timer);
  box.timer = setTimeout(() => { box.hidden = true; }, 2500);
}

function showError(error) {
  setStatus(`Lỗi: ${error.message}`);
}

// ---- the reply keyboard under the text box --------------------------------------------------

function renderReplyKeyboard(chatId) {
  const phone = phoneOf(chatId);
  if (!phone) return;
  const chat = chatState(chatId);
  const area = phone.querySelector(".reply-keyboard");
  const toggle = phone.querySelector(".kbd-toggle");
  const input = phone.querySelector("textarea[name=text]");
  area.replaceChildren();
  toggle.hidden = !chat.keyboard;
  input.placeholder = (chat.keyboard && chat.keyboard.input_field_placeholder) || "Nhập tin nhắn…";
  if (!chat.keyboard || chat.keyboardHidden) return;
  area.append(el("div", { class: "keyboard" }, chat.keyboard.keyboard.map((row) => el("div", { class: "row" },
    row.map((button) => {
      const label = typeof button === "string" ? button : button.text;
      return el("button", {
        type: "button",
        onclick: () => {
          if (chat.keyboard.one_time_keyboard) { chat.keyboardHidden = true; renderReplyKeyboard(chatId); }
          sendAs(chatId, { text: label }).catch(showError);
        },
      }, label);
    })))));
}

// ---- phones -----------------------------------------------------------------------------------

function emptyChat(userId) {
  const description = state.bot.descriptions.vi || state.bot.descriptions[""] ||
    "Bot hỗ trợ phong trào Bình dân học vụ số. Bấm Bắt đầu để mở đầu cuộc trò chuyện.";
  return el("div", { class: "empty" }, el("div", {}, description),
    el("button", { type: "button", onclick: () => sendAs(userId, { text: "/start" }).catch(showError) }, "BẮT ĐẦU"));
}

function commandList(userId, box) {
  const commands = state.bot.commands[`chat:${userId}`] || state.bot.commands.default || [];
  box.replaceChildren(...commands.map((command) => el("button", {
    type: "button",
    onclick: () => { box.hidden = true; sendAs(userId, { text: `/${command.command}` }).catch(showError); },
  }, el("b", {}, `/${command.command}`), ` — ${command.description}`)));
  if (!commands.length) box.append(el("p", {}, "Bot chưa đặt menu lệnh."));
}

function buildPhone(who) {
  const userId = who.user_id;
  // A text area, as Telegram's own box: Enter sends, Shift+Enter starts a new line (a /chiase
  // post or a directive's text has several paragraphs); it grows up to six lines.
  const input = el("textarea", { name: "text", rows: 1, autocomplete: "off", placeholder: "Nhập tin nhắn…", "aria-label": "Tin nhắn" });
  const fit = () => { input.style.height = "auto"; input.style.height = `${Math.min(input.scrollHeight, 144)}px`; };
  input.addEventListener("input", fit);
  input.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      form.requestSubmit();
    }
  });
  const commands = el("div", { class: "commands", hidden: true });
  const fileInput = el("input", { type: "file", accept: "image/*", hidden: true, "aria-label": "Chọn ảnh" });
  fileInput.addEventListener("change", () => {
    const [file] = fileInput.files;
    if (file) sendPhoto(userId, file, input.value).then(() => { input.value = ""; }).catch(showError);
    fileInput.value = "";
  });
  const form = el("form", { class: "composer" },
    el("button", {
      type: "button", class: "cmd", title: "Menu lệnh",
      onclick: async () => { await refreshBot(); commandList(userId, commands); commands.hidden = !commands.hidden; },
    }, "☰"),
    el("label", { class: "attach", title: "Gửi ảnh từ máy tính" }, "📎", fileInput),
    input,
    el("button", {
      type: "button", class: "kbd-toggle", title: "Bàn phím nút", hidden: true,
      onclick: () => { const chat = chatState(userId); chat.keyboardHidden = !chat.keyboardHidden; renderReplyKeyboard(userId); },
    }, "⌨"),
    el("button", { class: "send", title: "Gửi" }, "➤"));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const text = input.value.trim();
    if (!text) return;
    input.value = "";
    fit();
    sendAs(userId, { text }).catch(showError);
  });
  const phone = el("section", { class: "phone", dataset: { user: userId }, "aria-label": who.name },
    el("header", {},
      el("span", { class: "avatar" }, who.name.slice(0, 1)),
      el("div", { class: "who" }, el("b", {}, who.name), el("small", {}, `${ROLE_LABELS[who.role] || who.role} · id ${userId}`)),
      el("button", { type: "button", title: "Đóng", onclick: () => toggleOpen(userId) }, "×")),
    el("div", { class: "chat", "aria-live": "polite" }),
    el("div", { class: "toast", hidden: true, role: "status" }),
    el("div", { class: "reply-keyboard" }),
    commands,
    form);
  return phone;
}

function renderPhones() {
  const area = document.getElementById("phones");
  for (const phone of [...area.children]) {
    if (!state.open.includes(Number(phone.dataset.user))) phone.remove();
  }
  for (const userId of state.open) {
    if (phoneOf(userId)) continue;
    const who = person(userId);
    if (!who) continue;
    const phone = buildPhone(who);
    area.append(phone);
    const chat = chatState(userId);
    const log = phone.querySelector(".chat");
    const messages = [...chat.messages.values()].sort((a, b) => a.message_id - b.message_id);
    if (!messages.length) log.append(emptyChat(userId));
    for (const message of messages) log.append(renderMessage(message, userId));
    log.scrollTop = log.scrollHeight;
    renderReplyKeyboard(userId);
  }
  renderPeople();
}

function toggleOpen(userId, forceOpen) {
  const isOpen = state.open.includes(userId);
  if (isOpen && !forceOpen) state.open = state.open.filter((id) => id !== userId);
  else if (!isOpen) state.open.push(userId);
  localStorage.setItem("play.open", JSON.stringify(state.open));
  renderPhones();
  // A phone just opened is brought into view: on a narrow screen it would be off to the right.
  if (forceOpen || !isOpen) phoneOf(userId)?.scrollIntoView({ behavior: "smooth", block: "nearest", inline: "start" });
}

function renderPeople() {
  const bar = document.getElementById("people");
  bar.replaceChildren(...state.people.map((who) => el("button", {
    type: "button", class: "person", dataset: { user: who.user_id },
    "aria-pressed": String(state.open.includes(who.user_id)),
    onclick: () => toggleOpen(who.user_id),
  }, who.name, " ", el("small", {}, `(${ROLE_LABELS[who.role] || who.role})`))));
}

// ---- the invite link dialog: a QR code to scan, or "open it as" someone -----------------------

function openLinkDialog(url, code, viewer) {
  const dialog = document.getElementById("link-dialog");
  document.getElementById("link-qr").src = `/_play/qr.svg?text=${encodeURIComponent(url)}`;
  document.getElementById("link-url").textContent = url;
  const select = document.getElementById("link-person");
  select.replaceChildren(...state.people.map((who) => el("option", {
    value: who.user_id, selected: who.user_id === viewer,
  }, `${who.name} (${ROLE_LABELS[who.role] || who.role})`)));
  dialog.dataset.code = code;
  dialog.showModal();
}

function setUpLinkDialog() {
  const dialog = document.getElementById("link-dialog");
  dialog.addEventListener("close", () => {
    if (dialog.returnValue !== "open") return;
    const userId = Number(document.getElementById("link-person").value);
    toggleOpen(userId, true);
    sendAs(userId, { text: `/start ${dialog.dataset.code}` }).catch(showError);
  });
}

// ---- training panel: the bot's calls, its schedules, its outbox and the rate limits -----------

function addCall(call) {
  state.calls.push(call);
  if (state.calls.length > 2000) state.calls.splice(0, 1000);
  if (!document.getElementById("training").checked) return;
  const list = document.getElementById("calls");
  list.prepend(callRow(call));
  while (list.children.length > MAX_CALL_ROWS) list.lastChild.remove();
  renderRate();
  scheduleOutboxRefresh();
}

function callRow(call) {
  const when = new Date(call.at * 1000).toLocaleTimeString("vi-VN", { timeZone: TIME_ZONE });
  const chat = call.params && call.params.chat_id ? ` → ${call.params.chat_id}` : "";
  const label = METHOD_LABELS[call.method] ? ` (${METHOD_LABELS[call.method]})` : "";
  let outcome = "✓";
  if (!call.ok) outcome = call.status === 429 ? `✗ 429 chờ ${call.retry_after} giây` : `✗ ${call.status} ${call.description}`;
  return el("li", { class: call.ok ? "" : "bad" }, `${when} ${call.method}${label}${chat} ${outcome}`);
}

function renderRate() {
  const now = Date.now() / 1000;
  const sends = state.calls.filter((c) => c.ok && /^(send|edit|copy|forward)/.test(c.method));
  const lastSecond = sends.filter((c) => now - c.at <= 1).length;
  const lastMinute = sends.filter((c) => now - c.at <= 60).length;
  const refused = state.calls.filter((c) => c.status === 429).length;
  const flood = state.bot.flood;
  document.getElementById("rate").replaceChildren(
    el("div", {}, `Trần của Telegram: ${flood.global_per_second ?? "?"} tin/giây, mỗi người ${flood.chat_per_second ?? "?"} tin/giây, nhóm ${flood.group_per_minute ?? "?"} tin/phút.`),
    el("div", {}, `Vừa gửi: ${lastSecond} tin trong 1 giây qua, ${lastMinute} tin trong 1 phút qua.`),
    el("div", {}, `Bị từ chối vì gửi quá nhanh (429): ${refused} lần — bộ giới hạn của bot giữ con số này ở 0.`));
}

let outboxTimer = null;
function scheduleOutboxRefresh() {
  if (outboxTimer) return;
  outboxTimer = setTimeout(() => { outboxTimer = null; refreshOutbox().catch(() => {}); }, 700);
}

async function refreshOutbox() {
  if (!state.trainingAvailable) return;
  const outbox = await api("/_play/outbox");
  const counts = Object.entries(outbox.counts).map(([status, count]) => el("span", { class: "badge" }, `${status}: ${count}`));
  const recent = outbox.recent.map((d) => el("li", {}, `#${d.id} ${d.kind} → ${d.chat_id}: ${d.status}${d.attempts ? ` (lần thử ${d.attempts})` : ""}${d.last_error ? ` — ${d.last_error}` : ""}`));
  document.getElementById("outbox").replaceChildren(
    el("div", {}, counts.length ? counts : "Chưa có tin nào trong hộp thư đi."), el("ul", {}, recent));
}

async function refreshSchedules() {
  if (!state.trainingAvailable) return;
  const { schedules } = await api("/_play/schedules");
  document.getElementById("schedules").replaceChildren(...schedules.map((s) => el("li", { dataset: { kind: s.kind } },
    el("span", {}, `${s.label} · ${s.rule}${s.enabled ? "" : " (tạm dừng)"}`),
    el("button", {
      type: "button", class: "run",
      onclick: async (event) => {
        const button = event.currentTarget;
        const { recipients } = await api(`/_play/schedules/${s.id}/run`, {});
        button.textContent = `✓ ${recipients ?? 0} tin`;
        scheduleOutboxRefresh();
      },
    }, "▶ Chạy ngay"))));
}

async function setTraining(on) {
  document.getElementById("training-panel").hidden = !on;
  if (!on) return;
  await refreshBot();
  document.getElementById("calls").replaceChildren(...state.calls.slice(-MAX_CALL_ROWS).reverse().map(callRow));
  renderRate();
  await Promise.all([refreshSchedules(), refreshOutbox()]);
}

// ---- start-up and the event stream ------------------------------------------------------------

async function refreshBot() {
  state.bot = await api("/_sandbox/bot");
}

function handle(item) {
  if (item.kind === "update") {
    const message = item.update.message || item.update.edited_message;
    if (message) upsert(message, Boolean(item.update.edited_message));
  } else if (item.kind === "event") {
    const event = item.event;
    if (event.method === "answerCallbackQuery") {
      if (event.text) toast(event.chat_id, event.text);
      return;
    }
    if (item.message) upsert(item.message, event.method.startsWith("edit"));
    const markup = event.reply_markup;
    if (markup && (markup.keyboard || markup.remove_keyboard)) {
      const chat = chatState(event.chat_id);
      chat.keyboard = markup.keyboard ? markup : null;
      chat.keyboardHidden = false;
      renderReplyKeyboard(event.chat_id);
    }
  } else if (item.kind === "call") {
    addCall(item.call);
  }
}

function connect() {
  const source = new EventSource("/_sandbox/stream");
  source.onopen = () => setStatus("");
  source.onerror = () => setStatus("Mất kết nối với sân thử, đang thử lại…");
  source.onmessage = (event) => handle(JSON.parse(event.data));
}

async function main() {
  const config = await api("/_play/config");
  state.people = config.people;
  state.botUsername = config.bot_username;
  state.trainingAvailable = config.training;
  await refreshBot();
  const saved = JSON.parse(localStorage.getItem("play.open") || "null");
  const known = new Set(state.people.map((p) => p.user_id));
  const defaults = state.people.filter((p) => p.role === "officer" || p.role === "head").slice(0, 2);
  state.open = Array.isArray(saved) ? saved.filter((id) => known.has(id)) : defaults.map((p) => p.user_id);
  renderPhones();
  setUpLinkDialog();
  const training = document.getElementById("training");
  training.disabled = !state.trainingAvailable;
  training.addEventListener("change", () => setTraining(training.checked).catch(showError));
  document.getElementById("add-person").addEventListener("submit", async (event) => {
    event.preventDefault();
    const form = event.currentTarget;
    const added = await api("/_play/people", { name: form.elements.name.value });
    form.reset();
    state.people.push(added);
    toggleOpen(added.user_id, true);
  });
  connect();
}

main().catch(showError);
