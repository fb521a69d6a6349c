/* 筑云 zhuyun — the 一网通办 dashboard's charts (ECharts) from the page's JSON data island. */
(function () {
  "use strict";
  var node = document.getElementById("services-chart-data");
  if (!node || !window.echarts) return;
  var data = JSON.parse(node.textContent || "{}");
  var pct = function (v) { return v === null ? null : Math.round(v * 1000) / 10; };
  var rates = document.getElementById("rates-chart");
  var charts = [];
  if (rates) {
    var r = window.echarts.init(rates);
    r.setOption({
      title: {text: "比率", left: "center"}, tooltip: {trigger: "axis"},
      xAxis: {type: "category", data: data.rates.map(function (x) { return x[0]; })},
      yAxis: {type: "value", max: 100, axisLabel: {formatter: "{value}%"}},
      series: [{type: "bar", data: data.rates.map(function (x) { return pct(x[1]); })}]
    });
    charts.push(r);
  }
  var dist = document.getElementById("ratings-chart");
  if (dist) {
    var d = window.echarts.init(dist);
    d.setOption({
      title: {text: "评价分布", left: "center"}, tooltip: {trigger: "axis"},
      xAxis: {type: "category", data: ["1分", "2分", "3分", "4分", "5分"]},
      yAxis: {type: "value", minInterval: 1},
      series: [{type: "bar", data: data.ratings}]
    });
    charts.push(d);
  }
  window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });
})();
