/* 筑云 zhuyun — the exchange's pages: choosing a resource submits its form, item checkboxes
   can be ticked or cleared at once, a form marked data-once is sent once, and the sharing
   statistics chart (Apache ECharts) drawn from <script type="application/json"
   id="exchange-data"> (data, never executed: the CSP allows no inline script). */
(function () {
  "use strict";

  // <select data-autosubmit>: picking an option loads it.
  document.addEventListener("change", function (event) {
    var select = event.target;
    if (select instanceof HTMLSelectElement && select.hasAttribute("data-autosubmit") && select.form) {
      if (select.value) select.form.submit();
    }
  });

  // <button data-check-all="items"> / data-check-none: tick or clear the form's enabled boxes.
  document.addEventListener("click", function (event) {
    var button = event.target instanceof Element ? event.target.closest("[data-check-all], [data-check-none]") : null;
    if (!button || !button.form) return;
    var all = button.hasAttribute("data-check-all");
    var name = button.getAttribute(all ? "data-check-all" : "data-check-none");
    button.form.querySelectorAll('input[type="checkbox"][name="' + name + '"]').forEach(function (box) {
      if (!box.disabled) box.checked = all;
    });
  });

  // <form data-once>: a second click while the first submission is on its way does nothing.
  // (The server also receives the form's idempotency key, so a resubmission creates nothing.)
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement) || !form.hasAttribute("data-once")) return;
    if (form.getAttribute("data-sent") === "1") {
      event.preventDefault();
      return;
    }
    form.setAttribute("data-sent", "1");
    window.setTimeout(function () {
      form.querySelectorAll('button[type="submit"]').forEach(function (b) { b.disabled = true; });
    }, 0);
  });

  var FONT = '"PingFang SC", "Hiragino Sans GB", "Microsoft YaHei", "Noto Sans CJK SC", ' +
    '"Source Han Sans SC", "WenQuanYi Micro Hei", sans-serif';

  function readData() {
    var node = document.getElementById("exchange-data");
    if (!node) return null;
    try { return JSON.parse(node.textContent || "{}"); } catch (e) { return null; }
  }

  function formatNumber(n) {
    return typeof n === "number" ? n.toLocaleString("zh-CN") : String(n);
  }

  // Horizontal bars per unit: answered queries and refusals, the busiest unit on top.
  function unitsOption(rows) {
    var sorted = rows.slice().reverse();
    return {
      color: ["#1f5fa8", "#e2725b"],
      textStyle: { fontFamily: FONT, color: "#44536a" },
      animationDuration: 600,
      grid: { left: 8, right: 48, top: 32, bottom: 8, containLabel: true },
      legend: { top: 0, right: 0, itemWidth: 10, itemHeight: 10, textStyle: { color: "#44536a" } },
      tooltip: {
        trigger: "axis", axisPointer: { type: "shadow" }, confine: true,
        backgroundColor: "rgba(13, 42, 82, .92)", borderWidth: 0,
        textStyle: { color: "#fff", fontFamily: FONT, fontSize: 12 },
        valueFormatter: formatNumber
      },
      xAxis: { type: "value", minInterval: 1, splitLine: { lineStyle: { color: "#edf1f6" } }, axisLabel: { color: "#8593a6" } },
      yAxis: {
        type: "category",
        data: sorted.map(function (r) { return r.name; }),
        axisLine: { lineStyle: { color: "#c8d2df" } }, axisTick: { show: false },
        axisLabel: { color: "#44536a", fontSize: 12, width: 180, overflow: "truncate" }
      },
      series: [
        { name: "调用次数", type: "bar", barMaxWidth: 14, data: sorted.map(function (r) { return r.queries; }),
          itemStyle: { borderRadius: [0, 3, 3, 0] }, label: { show: true, position: "right", fontSize: 11, color: "#44536a", formatter: function (p) { return formatNumber(p.value); } } },
        { name: "拒绝次数", type: "bar", barMaxWidth: 14, data: sorted.map(function (r) { return r.refused; }),
          itemStyle: { borderRadius: [0, 3, 3, 0] } }
      ],
      graphic: rows.length ? [] : [{ type: "text", left: "center", top: "middle",
        style: { text: "近 30 天暂无共享调用", fill: "#9aa5b5", font: "13px " + FONT } }]
    };
  }

  var BUILDERS = { units: unitsOption };

  function draw() {
    var containers = document.querySelectorAll("[data-exchange-chart]");
    if (!containers.length) return;
    if (typeof window.echarts === "undefined") {
      containers.forEach(function (el) {
        el.textContent = "图表组件未安装（运行 scripts/fetch-assets 获取 ECharts）；数据见下方明细表。";
        el.className += " chart-fallback";
      });
      return;
    }
    var data = readData() || {};
    var charts = [];
    containers.forEach(function (el) {
      var key = el.getAttribute("data-exchange-chart");
      var build = BUILDERS[key];
      if (!build) return;
      var rows = Array.isArray(data[key]) ? data[key] : [];
      // one band per unit: a few units get a short chart, many a tall one
      el.style.height = Math.max(220, 64 + 44 * rows.length) + "px";
      var chart = echarts.init(el, null, { renderer: "canvas", locale: "ZH" });
      chart.setOption(build(rows));
      charts.push(chart);
    });
    var pending = null;
    window.addEventListener("resize", function () {
      if (pending) window.clearTimeout(pending);
      pending = window.setTimeout(function () { charts.forEach(function (c) { c.resize(); }); }, 120);
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
