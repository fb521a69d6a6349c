/* 筑云 zhuyun — small page behaviours shared by every page (loaded with `defer`).
   No inline scripts anywhere (CSP script-src 'self'): pages declare behaviour with data-
   attributes and this file wires them up by event delegation, so content htmx swaps in
   works too. */
(function () {
  "use strict";

  // <form data-confirm="…">: ask before a destructive post (revoke a token, …).
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement)) return;
    var question = form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
  }, true);

  // <button data-copy="#selector">: copy the element's text (e.g. a freshly issued token).
  document.addEventListener("click", function (event) {
    var button = event.target instanceof Element ? event.target.closest("[data-copy]") : null;
    if (!button) return;
    var source = document.querySelector(button.getAttribute("data-copy"));
    if (!source) return;
    var text = source.textContent.trim();
    var done = function () {
      var label = button.textContent;
      button.textContent = "已复制";
      window.setTimeout(function () { button.textContent = label; }, 1600);
    };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(done, function () { selectText(source); });
    } else {
      selectText(source);
      try { if (document.execCommand("copy")) done(); } catch (e) { /* the text stays selected */ }
    }
  });

  function selectText(node) {
    var range = document.createRange();
    range.selectNodeContents(node);
    var selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
  }

  // htmx swaps only a region of the answer (hx-select). When the answer is not that page —
  // the session expired and the server sent the sign-in page, or an error page came back —
  // show the whole page instead of an empty region.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var detail = event.detail || {};
    var xhr = detail.xhr;
    if (!xhr) return;
    var landedOnLogin = false;
    try { landedOnLogin = new URL(xhr.responseURL, window.location.href).pathname === "/login"; }
    catch (e) { landedOnLogin = false; }
    if (!landedOnLogin && xhr.status < 400) return;
    detail.shouldSwap = false;
    var verb = detail.requestConfig && detail.requestConfig.verb;
    if (landedOnLogin) {
      window.location.assign(xhr.responseURL);
    } else if (verb === "get" && detail.pathInfo && detail.pathInfo.finalRequestPath) {
      window.location.assign(detail.pathInfo.finalRequestPath);
    } else if (/<html/i.test(xhr.responseText || "")) {
      document.open();
      document.write(xhr.responseText);
      document.close();
    }
  });
})();
