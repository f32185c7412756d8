// The chat widget: plain DOM, no third-party code. Messages are inserted as text, never as HTML.
(function () {
  "use strict";
  const log = document.getElementById("log");
  const form = document.getElementById("form");
  const input = document.getElementById("input");
  // The conversation is the page's choice (a signed cookie set by /api/chat), never the browser's.
  const language = (navigator.language || "en").toLowerCase().startsWith("ja") ? "ja" : "en";
  const texts = {
    en: { placeholder: "Type your message…", send: "Send", title: "Privacy assistant",
          error: "Sorry, the assistant is not available right now. Please try again in a moment." },
    ja: { placeholder: "メッセージを入力してください…", send: "送信", title: "個人情報に関するお問い合わせ",
          error: "申し訳ありません。ただいま応答できません。しばらくしてから再度お試しください。" },
  }[language];
  document.documentElement.lang = language;
  input.placeholder = texts.placeholder;
  document.getElementById("send").textContent = texts.send;
  document.querySelector(".chat-title").textContent = texts.title;

  function show(text, who) {
    const item = document.createElement("li");
    item.className = who;
    item.textContent = text;
    log.appendChild(item);
    log.scrollTop = log.scrollHeight;
  }

  async function send(message, quiet) {
    if (!quiet) show(message, "user");
    try {
      const response = await fetch("/api/chat", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        credentials: "same-origin",
        body: JSON.stringify({ message: message, metadata: { language: language } }),
      });
      if (!response.ok) throw new Error(String(response.status));
      for (const reply of await response.json()) show(reply.text, "bot");
    } catch (err) {
      show(texts.error, "error");
    }
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    const message = input.value.trim();
    if (!message) return;
    input.value = "";
    send(message, false);
  });

  // Greet in the visitor's browser language; the conversation then follows the language they write in.
  send("/greet", true);
})();
