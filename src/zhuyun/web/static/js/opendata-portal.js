/* 筑云 zhuyun — the open-data portal's charts (Apache ECharts, served from /static/vendor/).
   Each page carries its numbers in <script type="application/json" id="opendata-data"> (data,
   never executed: the CSP allows no inline script); a container names what it draws with
   data-od-chart: "usage" / "trend" (views, downloads and API calls per day), "units" (usage
   per unit) or "score" (a dataset's quality score as a gauge). */
(function () {
  "use strict";

  var FONT = '"PingFang SC", "Hiragino Sans GB", "Microsoft YaHei", "Noto Sans CJK SC", ' +
    '"Source Han Sans SC", "WenQuanYi Micro Hei", sans-serif';
  var COLORS = ["#1f5fa8", "#0e8a8a", "#f0a43a"];
  var SERIES = [["views", "浏览"], ["downloads", "下载"], ["api", "接口调用"]];

  function readData() {
    var node = document.getElementById("opendata-data");
    if (!node) return {};
    try { return JSON.parse(node.textContent || "{}") || {}; } catch (e) { return {}; }
  }

  function formatNumber(n) {
    return typeof n === "number" ? n.toLocaleString("zh-CN") : String(n);
  }

  function base() {
    return {
      color: COLORS,
      textStyle: { fontFamily: FONT, color: "#44536a" },
      animationDuration: 500,
      tooltip: {
        confine: true, backgroundColor: "rgba(13, 42, 82, .92)", borderWidth: 0,
        textStyle: { color: "#fff", fontFamily: FONT, fontSize: 12 }, valueFormatter: formatNumber
      }
    };
  }

  function emptyGraphic(text) {
    return { type: "text", left: "center", top: "middle",
      style: { text: text, fill: "#9aa5b5", font: "13px " + FONT } };
  }

  // Stacked bars per day: views, downloads, API calls.
  function usageOption(rows) {
    var option = base();
    var total = 0;
    option.grid = { left: 8, right: 12, top: 32, bottom: 4, containLabel: true };
    option.legend = { top: 0, right: 0, itemWidth: 10, itemHeight: 10, textStyle: { color: "#44536a" } };
    option.tooltip.trigger = "axis";
    option.tooltip.axisPointer = { type: "shadow" };
    option.xAxis = {
      type: "category", data: rows.map(function (r) { return r.day; }),
      axisLine: { lineStyle: { color: "#c8d2df" } }, axisTick: { show: false },
      axisLabel: { color: "#8593a6", fontSize: 11, formatter: function (v) { return String(v).slice(5).replace("-", "/"); } }
    };
    option.yAxis = { type: "value", minInterval: 1, splitLine: { lineStyle: { color: "#edf1f6" } }, axisLabel: { color: "#8593a6" } };
    option.series = SERIES.map(function (pair, i) {
      return {
        name: pair[1], type: "bar", stack: "use", barMaxWidth: 16,
        data: rows.map(function (r) { total += r[pair[0]] || 0; return r[pair[0]] || 0; }),
        itemStyle: { borderRadius: i === SERIES.length - 1 ? [3, 3, 0, 0] : 0 }
      };
    });
    if (!total) option.graphic = emptyGraphic("近 30 天暂无使用记录");
    return option;
  }

  // Horizontal stacked bars per unit, the busiest on top.
  function unitsOption(rows) {
    var sorted = rows.slice().sort(function (a, b) {
      return (a.views + a.downloads + a.api) - (b.views + b.downloads + b.api);
    });
    var option = base();
    option.grid = { left: 8, right: 24, top: 32, bottom: 8, containLabel: true };
    option.legend = { top: 0, right: 0, itemWidth: 10, itemHeight: 10, textStyle: { color: "#44536a" } };
    option.tooltip.trigger = "axis";
    option.tooltip.axisPointer = { type: "shadow" };
    option.xAxis = { type: "value", minInterval: 1, splitLine: { lineStyle: { color: "#edf1f6" } }, axisLabel: { color: "#8593a6" } };
    option.yAxis = {
      type: "category", data: sorted.map(function (r) { return r.name; }),
      axisLine: { lineStyle: { color: "#c8d2df" } }, axisTick: { show: false },
      axisLabel: { color: "#44536a", fontSize: 12, width: 200, overflow: "truncate" }
    };
    option.series = SERIES.map(function (pair) {
      return { name: pair[1], type: "bar", stack: "use", barMaxWidth: 16,
        data: sorted.map(function (r) { return r[pair[0]] || 0; }) };
    });
    if (!rows.length) option.graphic = emptyGraphic("暂无数据");
    return option;
  }

  // A half-ring gauge of the quality score, coloured by its band.
  // Horizontal bars: how many records fall into each value of a category column.
  function categoriesOption(bars) {
    var option = base();
    var sorted = bars.slice().reverse();
    option.grid = { left: 8, right: 24, top: 8, bottom: 4, containLabel: true };
    option.tooltip.trigger = "axis";
    option.tooltip.axisPointer = { type: "shadow" };
    option.xAxis = { type: "value", minInterval: 1, splitLine: { lineStyle: { color: "#edf1f6" } }, axisLabel: { color: "#8593a6" } };
    option.yAxis = { type: "category", data: sorted.map(function (b) { return b.name; }),
      axisTick: { show: false }, axisLine: { lineStyle: { color: "#c8d2df" } }, axisLabel: { color: "#44536a" } };
    option.series = [{ name: "记录数", type: "bar", barMaxWidth: 18, data: sorted.map(function (b) { return b.value; }),
      itemStyle: { borderRadius: [0, 3, 3, 0] }, label: { show: true, position: "right", color: "#44536a", formatter: function (p) { return formatNumber(p.value); } } }];
    if (!bars.length) option.graphic = emptyGraphic("暂无可统计的数据");
    return option;
  }

  function scoreOption(value) {
    var score = typeof value === "number" ? value : 0;
    var color = score >= 90 ? "#067647" : score >= 75 ? "#1f5fa8" : score >= 60 ? "#a15c07" : "#b42318";
    return {
      textStyle: { fontFamily: FONT },
      series: [{
        type: "gauge", startAngle: 200, endAngle: -20, min: 0, max: 100,
        radius: "100%", center: ["50%", "62%"],
        progress: { show: true, width: 14, roundCap: true, itemStyle: { color: color } },
        axisLine: { roundCap: true, lineStyle: { width: 14, color: [[1, "#edf1f6"]] } },
        axisTick: { show: false }, splitLine: { show: false }, axisLabel: { show: false },
        pointer: { show: false }, anchor: { show: false }, title: { show: false },
        detail: { valueAnimation: true, offsetCenter: [0, "-6%"], fontSize: 34, fontWeight: 700,
          color: "#0d2a52", formatter: "{value}" },
        data: [{ value: score }]
      }]
    };
  }

  function fallback(el, text) {
    el.innerHTML = "";
    var box = document.createElement("div");
    box.className = "chart-fallback";
    box.textContent = text;
    el.appendChild(box);
  }

  function draw() {
    var containers = document.querySelectorAll("[data-od-chart]");
    if (!containers.length) return;
    if (typeof window.echarts === "undefined") {
      containers.forEach(function (el) {
        if (el.getAttribute("data-od-chart") !== "score") {
          fallback(el, "图表组件未安装（运行 scripts/fetch-assets 获取 ECharts）；数据见下方数据表。");
        }
      });
      return;
    }
    var data = readData();
    var charts = [];
    containers.forEach(function (el) {
      var kind = el.getAttribute("data-od-chart");
      var option = null;
      if (kind === "usage" || kind === "trend") option = usageOption(Array.isArray(data[kind]) ? data[kind] : []);
      else if (kind === "units") option = unitsOption(Array.isArray(data.units) ? data.units : []);
      else if (kind === "score" && typeof data.score === "number") option = scoreOption(data.score);
      else if (kind === "categories") option = categoriesOption(Array.isArray(data.categories) ? data.categories : []);
      if (!option) return;
      var chart = echarts.init(el, null, { renderer: "canvas", locale: "ZH" });
      chart.setOption(option);
      el.setAttribute("data-drawn", "1");
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
