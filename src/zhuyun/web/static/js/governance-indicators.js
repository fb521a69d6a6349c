/* 筑云 zhuyun — the work-order indicators chart (ECharts) from the page's JSON data island. */
(function () {
  "use strict";
  var node = document.getElementById("indicator-data");
  var box = document.getElementById("indicator-chart");
  if (!node || !box || !window.echarts) return;
  var rows = JSON.parse(node.textContent || "[]");
  var pct = function (v) { return v === null ? null : Math.round(v * 1000) / 10; };
  var chart = window.echarts.init(box);
  var series = [["立案率", "registration_rate"], ["按期处置率", "on_time_rate"],
                ["结案率", "closure_rate"], ["返工率", "rework_rate"]].map(function (s) {
    return {name: s[0], type: "bar", data: rows.map(function (r) { return pct(r[s[1]]); })};
  });
  chart.setOption({
    tooltip: {trigger: "axis"}, legend: {},
    xAxis: {type: "category", data: rows.map(function (r) { return r.name; }),
            axisLabel: {interval: 0, rotate: 30}},
    yAxis: {type: "value", max: 100, axisLabel: {formatter: "{value}%"}},
    series: series
  });
  window.addEventListener("resize", function () { chart.resize(); });
})();
