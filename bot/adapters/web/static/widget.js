// botloop chat widget: <script src="https://your-bot.example/chat/widget.js" async></script>
// adds a chat button to the page; it opens the bot's chat (/chat/embed) in a frame.
// The bot must list this site's origin in BOT_WEB_CHAT_ORIGINS to be framed here.
(function () {
  "use strict";
  const script = document.currentScript;
  if (!script) return;
  const origin = new URL(script.src).origin;
  const frame = document.createElement("iframe");
  frame.src = origin + "/chat/embed";
  frame.title = "Chat";
  frame.style.cssText = "position:fixed;bottom:84px;right:20px;width:min(380px,92vw);height:min(560px,75vh);" +
    "border:1px solid #dfe3e6;border-radius:12px;box-shadow:0 8px 24px rgba(0,0,0,.15);display:none;z-index:2147483000;background:#fff";
  const button = document.createElement("button");
  button.type = "button";
  button.textContent = "💬";
  button.setAttribute("aria-label", "Open chat");
  button.style.cssText = "position:fixed;bottom:20px;right:20px;width:52px;height:52px;border-radius:50%;border:none;" +
    "background:#3e63dd;color:#fff;font-size:24px;cursor:pointer;z-index:2147483000";
  button.addEventListener("click", () => {
    const open = frame.style.display === "none";
    frame.style.display = open ? "block" : "none";
    button.setAttribute("aria-label", open ? "Close chat" : "Open chat");
  });
  document.body.append(frame, button);
})();
