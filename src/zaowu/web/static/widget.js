/* zaowu customer-service chat widget: one script tag on a shop's own pages.
   <script src="https://HOST/widget.js" data-assistant="asst_..." data-key="zw-..." async></script>
   It talks only to the zaowu server it was loaded from, with the assistant's widget key. Everything it
   shows (the customer's words, replies, sources) is set as text, never as HTML. */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || !script.dataset.assistant || !script.dataset.key) return;
  var base = new URL(script.src).origin;
  var assistant = script.dataset.assistant;
  var key = script.dataset.key;
  var zh = /^zh/i.test(navigator.language || "");
  var t = zh
    ? { open: "在线客服", send: "发送", placeholder: "请输入您的问题…", sources: "来源", error: "暂时无法回答，请稍后再试。", busy: "请求太频繁，请稍后再试。" }
    : { open: "Chat with us", send: "Send", placeholder: "Type your question…", sources: "Sources", error: "Sorry, I cannot answer right now.", busy: "Too many messages; please wait a moment." };
  var storeKey = "zaowu-conversation-" + assistant;
  var conversation = null;
  try { conversation = sessionStorage.getItem(storeKey); } catch (e) { conversation = null; }

  var host = document.createElement("div");
  host.setAttribute("data-zaowu-widget", assistant);
  var root = host.attachShadow ? host.attachShadow({ mode: "open" }) : host;
  var style = document.createElement("style");
  style.textContent =
    ".b{position:fixed;right:20px;bottom:20px;z-index:2147483000;border:0;border-radius:22px;padding:10px 18px;" +
    "background:#b4462b;color:#fff;font:14px system-ui,sans-serif;cursor:pointer}" +
    ".p{position:fixed;right:20px;bottom:70px;z-index:2147483000;width:320px;max-height:460px;display:none;" +
    "flex-direction:column;background:#fff;border:1px solid #ddd;border-radius:12px;box-shadow:0 4px 24px rgba(0,0,0,.15);" +
    "font:14px system-ui,sans-serif;color:#1d1d1f}.p.o{display:flex}.l{flex:1;overflow:auto;padding:10px}" +
    ".m{margin:6px 0;padding:8px 10px;border-radius:10px;white-space:pre-wrap}.u{background:#f1efe9;margin-left:30px}" +
    ".a{background:#f7f7f9;margin-right:30px}.s{font-size:12px;color:#5f6368;margin-top:4px}" +
    "form{display:flex;border-top:1px solid #eee}input{flex:1;border:0;padding:10px;font:inherit}" +
    "form button{border:0;background:none;color:#b4462b;padding:0 12px;cursor:pointer}";
  var button = document.createElement("button");
  button.className = "b";
  button.textContent = t.open;
  var panel = document.createElement("div");
  panel.className = "p";
  var list = document.createElement("div");
  list.className = "l";
  var form = document.createElement("form");
  var input = document.createElement("input");
  input.placeholder = t.placeholder;
  input.maxLength = 1000;
  var send = document.createElement("button");
  send.type = "submit";
  send.textContent = t.send;
  form.appendChild(input);
  form.appendChild(send);
  panel.appendChild(list);
  panel.appendChild(form);
  root.appendChild(style);
  root.appendChild(button);
  root.appendChild(panel);

  function say(text, who, sources) {
    var item = document.createElement("div");
    item.className = "m " + who;
    item.textContent = text;
    if (sources && sources.length) {
      var where = document.createElement("div");
      where.className = "s";
      where.textContent = t.sources + ": " + sources.map(function (s) {
        return "[" + s.index + "] " + s.filename + (s.page ? " p." + s.page : "") + (s.sheet ? " (" + s.sheet + ")" : "");
      }).join("; ");
      item.appendChild(where);
    }
    list.appendChild(item);
    list.scrollTop = list.scrollHeight;
  }

  button.addEventListener("click", function () { panel.classList.toggle("o"); input.focus(); });
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var message = input.value.trim();
    if (!message) return;
    input.value = "";
    say(message, "u");
    send.disabled = true;
    fetch(base + "/v1/assistants/" + encodeURIComponent(assistant) + "/chat", {
      method: "POST",
      headers: { "Content-Type": "application/json", Authorization: "Bearer " + key },
      body: JSON.stringify({ message: message, conversation_id: conversation }),
    })
      .then(function (r) {
        if (r.status === 429) throw new Error(t.busy);
        if (!r.ok) throw new Error(t.error);
        return r.json();
      })
      .then(function (reply) {
        conversation = reply.conversation_id;
        try { sessionStorage.setItem(storeKey, conversation); } catch (e) { /* private mode */ }
        say(reply.message, "a", reply.sources);
      })
      .catch(function (error) { say(error && error.message === t.busy ? t.busy : t.error, "a"); })
      .then(function () { send.disabled = false; });
  });
  (document.body || document.documentElement).appendChild(host);
})();
