// botloop web chat. Plain JavaScript, no build step. Every string from the bot or a
// user is put in the page as text (textContent), never as HTML: the Markdown subset
// is parsed here into elements, and links and images accept http(s) URLs only.
"use strict";

(function () {
  const $ = (id) => document.getElementById(id);
  const mode = document.body.dataset.mode; // "sandbox" or "embed"
  const token = new URLSearchParams(location.hash.slice(1)).get("token") || "";
  const state = { ws: null, channel: "general", user: "alice", me: null, replyTo: null,
                  retry: 500, sandbox: false };

  // --- Elements, always built from text ------------------------------------------------------

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (key === "class") node.className = value;
      else if (key === "text") node.textContent = value;
      else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
      else node.setAttribute(key, value === true ? "" : String(value));
    }
    for (const child of children) {
      if (child === null || child === undefined) continue;
      node.append(typeof child === "string" ? document.createTextNode(child) : child);
    }
    return node;
  }

  function safeUrl(url) {
    return typeof url === "string" && /^https?:\/\//i.test(url) ? url : null;
  }

  // The Markdown subset botloop replies use: fenced code, `code`, **bold**, *italic*, [text](url).
  function markdown(text) {
    const out = document.createDocumentFragment();
    const parts = String(text || "").split(/```/);
    parts.forEach((part, i) => {
      if (i % 2 === 1) {
        out.append(el("pre", {}, el("code", { text: part.replace(/^[\w+-]*\n/, "") })));
      } else {
        inline(part, out);
      }
    });
    return out;
  }

  const INLINE = /`([^`\n]+)`|\*\*(?=\S)([\s\S]+?)\*\*|(?<![*\w])\*(?=[^\s*])([^*\n]+?)\*(?![*\w])|\[([^\]\n]+)\]\(([^)\s]+)\)/g;

  function inline(text, into) {
    let last = 0;
    for (const m of text.matchAll(INLINE)) {
      into.append(document.createTextNode(text.slice(last, m.index)));
      if (m[1] !== undefined) into.append(el("code", { text: m[1] }));
      else if (m[2] !== undefined) { const b = el("strong"); inline(m[2], b); into.append(b); }
      else if (m[3] !== undefined) { const e = el("em"); inline(m[3], e); into.append(e); }
      else {
        const href = safeUrl(m[5]);
        into.append(href ? el("a", { href, text: m[4], target: "_blank", rel: "noopener noreferrer nofollow" })
                         : document.createTextNode(m[0]));
      }
      last = m.index + m[0].length;
    }
    into.append(document.createTextNode(text.slice(last)));
  }

  // --- Replies ---------------------------------------------------------------------------------

  function card(data) {
    const box = el("div", { class: "card" });
    if (data.colour) box.style.borderLeftColor = data.colour;
    if (data.title) {
      const href = safeUrl(data.url);
      box.append(el("div", { class: "title" },
        href ? el("a", { href, text: data.title, target: "_blank", rel: "noopener noreferrer nofollow" })
             : data.title));
    }
    if (data.description) box.append(el("div", { class: "body" }, markdown(data.description)));
    if (data.fields && data.fields.length) {
      const fields = el("div", { class: "fields" });
      for (const f of data.fields) {
        fields.append(el("div", { class: f.inline ? "field" : "field wide" },
          el("div", { class: "name", text: f.name }), el("div", { class: "body" }, markdown(f.value))));
      }
      box.append(fields);
    }
    const image = safeUrl(data.image);
    if (image) box.append(el("img", { src: image, alt: "", loading: "lazy", referrerpolicy: "no-referrer" }));
    if (data.footer) box.append(el("div", { class: "footer", text: data.footer }));
    return box;
  }

  function components(rows, messageId) {
    const box = document.createDocumentFragment();
    for (const row of rows) {
      const line = el("div", { class: "row" });
      for (const c of row) line.append(c.kind === "select" ? select(c, messageId) : button(c, messageId));
      box.append(line);
    }
    return box;
  }

  function button(c, messageId) {
    const link = safeUrl(c.url);
    if (link) return el("a", { class: "link", href: link, text: c.label + " ↗", target: "_blank", rel: "noopener noreferrer nofollow" });
    return el("button", { type: "button", class: c.style, text: c.label, disabled: c.disabled,
      "data-action": c.id, onclick: () => send({ type: "click", id: c.id, message: messageId, values: [] }) });
  }

  function select(c, messageId) {
    if (c.max <= 1) {
      const box = el("select", { disabled: c.disabled, "data-action": c.id,
        onchange: (e) => e.target.value && send({ type: "click", id: c.id, message: messageId, values: [e.target.value] }) },
        el("option", { value: "", text: c.placeholder }));
      for (const o of c.options) box.append(el("option", { value: o.value, text: o.label, title: o.description || null }));
      return box;
    }
    const box = el("span", { class: "multi" });
    for (const o of c.options) {
      box.append(el("label", {}, el("input", { type: "checkbox", value: o.value, disabled: c.disabled }), " " + o.label));
    }
    box.append(el("button", { type: "button", text: "Choose", disabled: c.disabled, onclick: () => {
      const values = [...box.querySelectorAll("input:checked")].map((i) => i.value);
      if (values.length >= c.min && values.length <= c.max) send({ type: "click", id: c.id, message: messageId, values });
    } }));
    return box;
  }

  function body(reply, messageId) {
    const box = el("div", { class: "content" });
    if (reply.text) box.append(el("div", { class: "body" }, markdown(reply.text)));
    if (reply.card) box.append(card(reply.card));
    if (reply.components) box.append(components(reply.components, messageId));
    if (reply.files && reply.files.length) box.append(el("div", { class: "note", text: "📎 " + reply.files.join(", ") }));
    return box;
  }

  function previews(data) {
    if (!data) return null;
    const box = el("details", { class: "preview" }, el("summary", { text: "What Discord and Slack get" }));
    for (const [name, payload] of Object.entries(data)) {
      box.append(el("div", { class: "note", text: name }), el("pre", { text: JSON.stringify(payload, null, 2) }));
    }
    return box;
  }

  function message(frame) {
    const mine = !frame.from.bot && state.me && frame.from.id === state.me.id;
    const classes = ["msg", mine ? "mine" : "", frame.reply.ephemeral ? "ephemeral" : ""].join(" ").trim();
    const item = el("li", { class: classes, id: "m-" + frame.id, "data-id": frame.id });
    if (frame.reply_to) item.append(el("div", { class: "quote", text: "↪ " + frame.reply_to.name + ": " + frame.reply_to.text }));
    item.append(el("div", {}, frame.from.bot ? el("span", { class: "bot-tag", text: "BOT" }) : null,
      el("span", { class: "who", text: frame.from.name })));
    item.append(body(frame.reply, frame.id));
    if (frame.reply.ephemeral) item.append(el("div", { class: "note", text: "Only you can see this." }));
    const extra = previews(frame.previews);
    if (extra) item.append(extra);
    item.append(el("div", { class: "reactions" }));
    item.append(el("div", { class: "tools" },
      el("button", { type: "button", text: "↩ reply", onclick: () => replyTo(frame) }),
      el("button", { type: "button", text: "👍", title: "React", onclick: () => send({ type: "react", message: frame.id, emoji: "👍" }) })));
    return item;
  }

  function show(frame) {
    if (frame.channel !== state.channelId) return;
    const list = $("messages");
    const near = list.scrollHeight - list.scrollTop - list.clientHeight < 80;
    list.append(message(frame));
    if (near) list.scrollTop = list.scrollHeight;
  }

  function edit(frame) {
    const item = $("m-" + frame.id);
    if (!item) return;
    item.querySelector(".content").replaceWith(body(frame.reply, frame.id));
    const old = item.querySelector("details.preview");
    const fresh = previews(frame.previews);
    if (old && fresh) old.replaceWith(fresh);
    item.classList.add("edited");
  }

  function react(frame) {
    const item = $("m-" + frame.message);
    if (item) item.querySelector(".reactions").append(frame.emoji + " ");
  }

  // --- Forms -----------------------------------------------------------------------------------

  function openForm(frame) {
    const dialog = $("form-dialog");
    $("form-title").textContent = frame.title;
    $("form-submit").textContent = frame.submit;
    const fields = $("form-fields");
    fields.replaceChildren();
    for (const f of frame.fields) {
      const attrs = { name: f.name, maxlength: f.max, placeholder: f.placeholder, required: f.required };
      const input = f.long ? el("textarea", { ...attrs, rows: 4 }) : el("input", attrs);
      input.value = f.value;
      fields.append(el("label", {}, f.label + (f.required ? "" : " (optional)"), input));
    }
    dialog.dataset.form = frame.id;
    dialog.returnValue = "";
    dialog.showModal();
  }

  $("form-dialog").addEventListener("close", () => {
    const dialog = $("form-dialog");
    if (dialog.returnValue !== "submit") return;
    const values = {};
    for (const input of $("form-fields").querySelectorAll("input, textarea")) values[input.name] = input.value;
    send({ type: "submit", form: dialog.dataset.form, fields: values });
  });

  // --- The connection --------------------------------------------------------------------------

  function send(frame) {
    if (state.ws && state.ws.readyState === WebSocket.OPEN) state.ws.send(JSON.stringify(frame));
  }

  function hello() {
    const admin = $("admin").value;
    const user = mode === "embed" ? "visitor" : admin || $("user").value || "alice";
    send({ type: "hello", user, channel: state.channel });
  }

  function connect() {
    const query = new URLSearchParams();
    if (token) query.set("token", token);
    if (mode === "embed") query.set("embed", "1");
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    const ws = new WebSocket(scheme + "//" + location.host + "/chat/ws?" + query);
    state.ws = ws;
    ws.addEventListener("open", () => { state.retry = 500; status("live", true); hello(); });
    ws.addEventListener("close", () => {
      status("reconnecting…", false);
      setTimeout(connect, state.retry);
      state.retry = Math.min(state.retry * 2, 10000);
    });
    ws.addEventListener("message", (e) => receive(JSON.parse(e.data)));
  }

  function status(text, live) {
    $("status").textContent = text;
    $("status").classList.toggle("live", live);
  }

  function receive(frame) {
    switch (frame.type) {
      case "welcome": return welcome(frame);
      case "message": return show(frame);
      case "edit": return edit(frame);
      case "form": return openForm(frame);
      case "react": return react(frame);
      case "typing":
        $("typing").hidden = !frame.on || frame.channel !== state.channelId;
        $("typing").textContent = frame.name + " is typing…";
        return;
      case "error":
        $("messages").append(el("li", { class: "error", text: frame.text }));
        return;
    }
  }

  function welcome(frame) {
    state.me = frame.user;
    state.channelId = frame.channel;
    state.sandbox = frame.sandbox;
    $("where").textContent = frame.channel.startsWith("dm-") ? "direct message" : "#" + frame.channel;
    if (frame.sandbox) sandbox(frame);
    const list = $("messages");
    list.replaceChildren(...frame.history.map(message));
    list.scrollTop = list.scrollHeight;
  }

  // --- The sandbox's controls ------------------------------------------------------------------

  let built = false;
  function sandbox(frame) {
    $("sandbox").hidden = false;
    if (built) return;
    built = true;
    const admins = $("admin");
    for (const id of frame.admins) admins.append(el("option", { value: id, text: id + " (admin)" }));
    $("admin-hint").hidden = frame.admins.length > 0;
    admins.disabled = frame.admins.length === 0;
    const box = $("channels");
    for (const name of [...frame.channels, "dm"]) {
      box.append(el("label", {}, el("input", { type: "radio", name: "channel", value: name,
        checked: name === state.channel, onchange: () => { state.channel = name; hello(); } }),
        name === "dm" ? "direct message" : "#" + name));
    }
    $("user").addEventListener("change", hello);
    admins.addEventListener("change", hello);
    $("preview").addEventListener("change", (e) => document.body.classList.toggle("previews", e.target.checked));
  }

  function replyTo(frame) {
    state.replyTo = frame.id;
    $("replying").hidden = false;
    $("replying").querySelector("span").textContent = "Replying to " + frame.from.name;
    $("text").focus();
  }

  $("cancel-reply").addEventListener("click", () => { state.replyTo = null; $("replying").hidden = true; });

  function say(text) {
    if (!text.trim()) return;
    const frame = { type: "say", text };
    if (state.replyTo) frame.thread = state.replyTo;
    send(frame);
  }

  $("composer").addEventListener("submit", (e) => {
    e.preventDefault();
    say($("text").value);
    $("text").value = "";
    state.replyTo = null;
    $("replying").hidden = true;
  });
  $("text").addEventListener("keydown", (e) => {
    if (e.key === "Enter" && !e.shiftKey) { e.preventDefault(); $("composer").requestSubmit(); }
  });

  // For scripts and tests driving the page: window.botloopChat.say("!ping").
  window.botloopChat = { say };
  connect();
})();
