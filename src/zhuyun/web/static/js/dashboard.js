/* 筑云 zhuyun — the home dashboard's charts (Apache ECharts, served from /static/vendor/).
   The page carries its data in <script type="application/json" id="dashboard-data"> (data,
   never executed, so the CSP needs no 'unsafe-inline'); each chart container names its series
   with data-chart. */
(function () {
  "use strict";

  var PALETTE = ["#1f5fa8", "#0e8a8a", "#5b8ff9", "#f0a43a", "#7a5cc8", "#3fb1c9", "#e2725b", "#8aa1bd"];
  var FONT = '"PingFang SC", "Hiragino Sans GB", "Microsoft YaHei", "Noto Sans CJK SC", ' +
    '"Source Han Sans SC", "WenQuanYi Micro Hei", sans-serif';
  var AXIS = "#c8d2df";
  var LABEL = "#44536a";
  var SPLIT = "#edf1f6";

  function readData() {
    var node = document.getElementById("dashboard-data");
    if (!node) return null;
    try {
      return JSON.parse(node.textContent || "{}");
    } catch (e) {
      return null;
    }
  }

  function formatNumber(n) {
    return typeof n === "number" ? n.toLocaleString("zh-CN") : String(n);
  }

  function base() {
    return {
      color: PALETTE,
      textStyle: { fontFamily: FONT, color: LABEL },
      animationDuration: 600,
      tooltip: {
        confine: true,
        backgroundColor: "rgba(13, 42, 82, .92)",
        borderWidth: 0,
        textStyle: { color: "#fff", fontFamily: FONT, fontSize: 12 },
        valueFormatter: formatNumber
      }
    };
  }

  function emptyGraphic(text) {
    return {
      type: "text",
      left: "center",
      top: "middle",
      style: { text: text || "暂无数据", fill: "#9aa5b5", font: "13px " + FONT }
    };
  }

  // 各区（市、县）户籍人口: bars, largest first.
  function populationOption(rows) {
    var option = base();
    var names = rows.map(function (r) { return r.name; });
    var values = rows.map(function (r) { return r.value; });
    option.grid = { left: 8, right: 16, top: 28, bottom: 8, containLabel: true };
    option.tooltip.trigger = "axis";
    option.tooltip.axisPointer = { type: "shadow" };
    option.xAxis = {
      type: "category",
      data: names,
      axisLine: { lineStyle: { color: AXIS } },
      axisTick: { show: false },
      axisLabel: { color: LABEL, interval: 0, fontSize: 12, hideOverlap: true }
    };
    option.yAxis = {
      type: "value",
      name: "人",
      nameTextStyle: { color: "#8593a6", align: "right" },
      splitLine: { lineStyle: { color: SPLIT } },
      axisLabel: { color: "#8593a6", formatter: compact }
    };
    option.series = [{
      name: "户籍人口",
      type: "bar",
      data: values,
      barMaxWidth: 36,
      itemStyle: {
        borderRadius: [4, 4, 0, 0],
        color: new echarts.graphic.LinearGradient(0, 0, 0, 1, [
          { offset: 0, color: "#2f74c0" },
          { offset: 1, color: "#1a4f8f" }
        ])
      },
      emphasis: { itemStyle: { color: "#0e8a8a" } },
      label: { show: true, position: "top", color: LABEL, fontSize: 11, formatter: function (p) { return compact(p.value); } }
    }];
    if (!rows.length) option.graphic = emptyGraphic("暂无人口数据");
    return option;
  }

  // 平台活动: ledger entries per day over the last 30 days (days without entries count 0).
  function activityOption(rows) {
    var counts = {};
    rows.forEach(function (r) { counts[String(r.day).slice(0, 10)] = r.count; });
    var days = [];
    var values = [];
    var today = new Date();
    for (var i = 29; i >= 0; i--) {
      var d = new Date(Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), today.getUTCDate() - i));
      var key = d.toISOString().slice(0, 10);
      days.push(key);
      values.push(counts[key] || 0);
    }
    // Days the server knows that fall outside the window (clock skew) are not lost.
    Object.keys(counts).sort().forEach(function (key) {
      if (days.indexOf(key) === -1) { days.push(key); values.push(counts[key]); }
    });
    var option = base();
    option.grid = { left: 8, right: 12, top: 24, bottom: 4, containLabel: true };
    option.tooltip.trigger = "axis";
    option.xAxis = {
      type: "category",
      data: days,
      boundaryGap: true,
      axisLine: { lineStyle: { color: AXIS } },
      axisTick: { show: false },
      axisLabel: { color: "#8593a6", fontSize: 11, formatter: function (v) { return v.slice(5).replace("-", "/"); } }
    };
    option.yAxis = {
      type: "value",
      minInterval: 1,
      splitLine: { lineStyle: { color: SPLIT } },
      axisLabel: { color: "#8593a6", formatter: compact }
    };
    option.series = [{
      name: "台账记录",
      type: "bar",
      data: values,
      barMaxWidth: 14,
      itemStyle: { color: "#0e8a8a", borderRadius: [3, 3, 0, 0] }
    }];
    return option;
  }

  // 组织机构构成: horizontal bars (counts differ by orders of magnitude, so a pie would hide
  // the small kinds).
  function unitsOption(rows) {
    var sorted = rows.slice().sort(function (a, b) { return a.value - b.value; });
    var option = base();
    option.grid = { left: 8, right: 40, top: 8, bottom: 4, containLabel: true };
    option.tooltip.trigger = "axis";
    option.tooltip.axisPointer = { type: "shadow" };
    option.xAxis = {
      type: "value",
      splitLine: { lineStyle: { color: SPLIT } },
      axisLabel: { color: "#8593a6", formatter: compact }
    };
    option.yAxis = {
      type: "category",
      data: sorted.map(function (r) { return r.name; }),
      axisLine: { lineStyle: { color: AXIS } },
      axisTick: { show: false },
      axisLabel: { color: LABEL, fontSize: 12 }
    };
    option.series = [{
      name: "单位数",
      type: "bar",
      data: sorted.map(function (r) { return r.value; }),
      barMaxWidth: 18,
      itemStyle: { color: "#1f5fa8", borderRadius: [0, 4, 4, 0] },
      label: { show: true, position: "right", color: LABEL, fontSize: 11, formatter: function (p) { return formatNumber(p.value); } }
    }];
    if (!rows.length) option.graphic = emptyGraphic();
    return option;
  }

  // 注册账号构成: a ring.
  function accountsOption(rows) {
    var total = rows.reduce(function (sum, r) { return sum + (r.value || 0); }, 0);
    var option = base();
    option.tooltip.trigger = "item";
    option.tooltip.formatter = function (p) {
      return p.marker + p.name + "：" + formatNumber(p.value) + "（" + p.percent + "%）";
    };
    option.legend = {
      bottom: 0, icon: "circle", itemWidth: 8, itemHeight: 8, itemGap: 16,
      textStyle: { color: LABEL, fontSize: 12 }
    };
    option.title = {
      text: formatNumber(total),
      subtext: "账号总数",
      left: "center",
      top: "36%",
      textStyle: { fontSize: 22, fontWeight: 700, color: "#0d2a52", fontFamily: FONT },
      subtextStyle: { fontSize: 12, color: "#8593a6", fontFamily: FONT },
      itemGap: 4
    };
    option.series = [{
      name: "注册账号",
      type: "pie",
      radius: ["52%", "74%"],
      center: ["50%", "45%"],
      avoidLabelOverlap: true,
      itemStyle: { borderColor: "#fff", borderWidth: 2 },
      label: { show: false },
      data: rows.map(function (r) { return { name: r.name, value: r.value }; })
    }];
    if (!rows.length) option.graphic = emptyGraphic();
    return option;
  }

  function compact(value) {
    if (typeof value !== "number") return value;
    var abs = Math.abs(value);
    if (abs >= 1e8) return trim(value / 1e8) + "亿";
    if (abs >= 1e4) return trim(value / 1e4) + "万";
    return formatNumber(value);
  }

  function trim(n) {
    return (Math.round(n * 10) / 10).toString();
  }

  var BUILDERS = {
    population_by_district: populationOption,
    ledger_by_day: activityOption,
    units_by_kind: unitsOption,
    accounts_by_kind: accountsOption
  };

  function fallback(el, text) {
    el.innerHTML = "";
    var box = document.createElement("div");
    box.className = "chart-fallback";
    box.textContent = text;
    el.appendChild(box);
  }

  function draw() {
    var containers = document.querySelectorAll("[data-chart]");
    if (!containers.length) return;
    if (typeof window.echarts === "undefined") {
      containers.forEach(function (el) {
        fallback(el, "图表组件未安装（运行 scripts/fetch-assets 获取 ECharts）；数据见下方数据表。");
      });
      return;
    }
    var data = readData() || {};
    var charts = [];
    containers.forEach(function (el) {
      var key = el.getAttribute("data-chart");
      var build = BUILDERS[key];
      if (!build) return;
      var rows = Array.isArray(data[key]) ? data[key] : [];
      var chart = echarts.init(el, null, { renderer: "canvas", locale: "ZH" });
      chart.setOption(build(rows));
      charts.push(chart);
    });
    var pending = null;
    window.addEventListener("resize", function () {
      if (pending) window.clearTimeout(pending);
      pending = window.setTimeout(function () {
        charts.forEach(function (c) { c.resize(); });
      }, 120);
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
