/* 筑云 zhuyun — the 数据铁笼 big screen: warnings and cases per day, warnings by rule and the
   units' scores (Apache ECharts). The page carries the figures in
   <script type="application/json" id="cage-data"> (data, never executed). */
(function () {
  "use strict";

  function readData() {
    var node = document.getElementById("cage-data");
    try {
      return node ? JSON.parse(node.textContent || "{}") : null;
    } catch (e) {
      return null;
    }
  }

  function draw() {
    var data = readData();
    if (!data || typeof echarts === "undefined") return;
    var trend = data.trend || { days: [] };
    var box = document.getElementById("trend-chart");
    if (box) {
      echarts.init(box).setOption({
        tooltip: { trigger: "axis" },
        legend: { data: ["黄牌", "红牌", "办结"] },
        grid: { left: 40, right: 20, top: 40, bottom: 30 },
        xAxis: { type: "category", data: trend.days.map(function (d) { return d.slice(5); }) },
        yAxis: { type: "value", minInterval: 1 },
        series: [
          { name: "黄牌", type: "bar", stack: "w", data: trend.yellow, itemStyle: { color: "#e6a23c" } },
          { name: "红牌", type: "bar", stack: "w", data: trend.red, itemStyle: { color: "#d03050" } },
          { name: "办结", type: "line", data: trend.ended, itemStyle: { color: "#2080f0" } }
        ]
      });
    }
    var rules = document.getElementById("rules-chart");
    if (rules) {
      var items = Object.keys(data.by_template || {}).map(function (k) {
        return { name: k, value: data.by_template[k] };
      });
      echarts.init(rules).setOption({
        tooltip: { trigger: "item" },
        series: [{ type: "pie", radius: ["35%", "70%"], data: items }]
      });
    }
    var units = document.getElementById("scores-chart");
    if (units) {
      var list = data.units || [];
      echarts.init(units).setOption({
        tooltip: { trigger: "axis" },
        grid: { left: 180, right: 30, top: 10, bottom: 20 },
        xAxis: { type: "value", max: 100 },
        yAxis: { type: "category", data: list.map(function (u) { return u.name; }).reverse() },
        series: [{ type: "bar", data: list.map(function (u) { return u.score; }).reverse(),
                   itemStyle: { color: "#18a058" } }]
      });
    }
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", draw);
  else draw();
})();
