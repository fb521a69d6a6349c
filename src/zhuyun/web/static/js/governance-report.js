/* 筑云 zhuyun — the grid worker's report form: location from the browser's geolocation, a
   category suggestion from the classifier, one idempotency key per form (a resubmitted form
   makes one order). No inline script: the CSP forbids it. */
(function () {
  "use strict";
  var form = document.getElementById("report-form");
  if (!form) return;
  var key = document.getElementById("idempotency-key");
  if (key && !key.value) {
    key.value = "form-" + Date.now().toString(36) + "-" + Math.random().toString(36).slice(2, 10);
  }
  var csrf = form.querySelector('input[name="csrf_token"]').value;
  var suggest = document.getElementById("suggest");  // the board's form has none
  if (suggest) suggest.addEventListener("click", function () {
    var text = document.getElementById("r-text").value;
    var out = document.getElementById("suggestion");
    out.textContent = "分析中…";
    fetch("/api/governance/workorders/classify", {
      method: "POST",
      headers: {"Content-Type": "application/json", "X-CSRF-Token": csrf},
      credentials: "same-origin",
      body: JSON.stringify({text: text})
    }).then(function (r) { return r.json().then(function (b) { return [r.ok, b]; }); })
      .then(function (res) {
        if (!res[0]) { out.textContent = res[1].detail_zh || "无法分类"; return; }
        out.textContent = "建议：" + res[1].category_name + "（置信度 " + res[1].confidence + "）";
        document.getElementById("r-category").value = res[1].category;
      }).catch(function () { out.textContent = "网络错误"; });
  });
  document.getElementById("locate").addEventListener("click", function () {
    var status = document.getElementById("locate-status");
    if (!navigator.geolocation) { status.textContent = "浏览器不支持定位，请填写地址"; return; }
    status.textContent = "定位中…";
    navigator.geolocation.getCurrentPosition(function (pos) {
      document.getElementById("r-lng").value = pos.coords.longitude.toFixed(6);
      document.getElementById("r-lat").value = pos.coords.latitude.toFixed(6);
      status.textContent = "已定位";
    }, function () { status.textContent = "定位失败，请填写地址"; });
  });
})();
