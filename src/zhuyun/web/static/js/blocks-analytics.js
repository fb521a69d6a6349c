/* 筑云 zhuyun — block analytics (块数据分析): the city's orders by month with next month's
   forecast, the age structure of the most populous grids, and a map of the grids (their
   GeoJSON export registered as an ECharts map, one region per grid code) coloured by the
   month's orders per 1,000 residents. Data from <script type="application/json"
   id="analytics-data"> (never executed: the CSP allows no inline script). */
(function () {
  "use strict";

  var FONT = '"PingFang SC", "Hiragino Sans GB", "Microsoft YaHei", "Noto Sans CJK SC", ' +
    '"Source Han Sans SC", "WenQuanYi Micro Hei", sans-serif';

  function settings() {
    var node = document.getElementById("analytics-data");
    if (!node) return null;
    try { return JSON.parse(node.textContent || "{}"); } catch (e) { return null; }
  }

  function message(box, text) {
    box.textContent = "";
    var p = document.createElement("p");
    p.className = "chart-fallback muted";
    p.textContent = text;
    box.appendChild(p);
  }

  function ordersChart(box, data) {
    var months = data.months.slice();
    var actual = data.orders.slice();
    var forecast = months.map(function () { return null; });
    if (data.forecast_total !== null && data.forecast_total !== undefined) {
      if (months.length) forecast[months.length - 1] = actual[actual.length - 1];
      months.push(data.next_month);
      actual.push(null);
      forecast.push(data.forecast_total);
    }
    var chart = window.echarts.init(box);
    chart.setOption({
      textStyle: { fontFamily: FONT },
      tooltip: { trigger: "axis" },
      legend: { data: ["工单", "预测"] },
      xAxis: { type: "category", data: months },
      yAxis: { type: "value", minInterval: 1 },
      series: [
        { name: "工单", type: "line", data: actual, smooth: true },
        { name: "预测", type: "line", data: forecast, lineStyle: { type: "dashed" } }
      ]
    });
    box.setAttribute("data-drawn", "true");
    return chart;
  }

  function agesChart(box, data) {
    if (!data.ages.length) { message(box, "暂无人口数据。"); return null; }
    var chart = window.echarts.init(box);
    var bands = [["0-14", "0–14岁"], ["15-59", "15–59岁"], ["60+", "60岁以上"]];
    chart.setOption({
      textStyle: { fontFamily: FONT },
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
      legend: {},
      grid: { left: 110 },
      xAxis: { type: "value", minInterval: 1 },
      yAxis: { type: "category", data: data.ages.map(function (g) { return g.name; }) },
      series: bands.map(function (b) {
        return { name: b[1], type: "bar", stack: "age",
                 data: data.ages.map(function (g) { return g[b[0]]; }) };
      })
    });
    box.setAttribute("data-drawn", "true");
    return chart;
  }

  function mapChart(box, data, geojson) {
    var features = geojson.features || [];
    if (!features.length) { message(box, "该范围内还没有网格。"); return null; }
    window.echarts.registerMap("zhuyun-analytics-grids", geojson);
    var max = 0;
    var values = features.map(function (f) {
      var g = data.grids[f.properties.code] || {};
      var value = g.rate === null || g.rate === undefined ? 0 : g.rate;
      if (value > max) max = value;
      return { name: f.properties.code, value: value };
    });
    var chart = window.echarts.init(box);
    chart.setOption({
      textStyle: { fontFamily: FONT },
      tooltip: {
        trigger: "item", confine: true,
        formatter: function (p) {
          var g = data.grids[p.name];
          if (!g) return p.name;
          return g.name + "<br>" + p.name + "<br>工单 " + g.orders + " 件 · 人口 " + g.residents +
            "<br>每千人 " + (g.rate === null ? "—" : g.rate) +
            " · 下月预测 " + (g.forecast === null ? "—" : g.forecast);
        }
      },
      visualMap: { min: 0, max: max || 1, left: 10, bottom: 10, calculable: true,
                   text: ["高", "低"], inRange: { color: ["#e8f1fb", "#1f5fa8", "#0d2a52"] } },
      series: [{ type: "map", map: "zhuyun-analytics-grids", nameProperty: "code", roam: true,
                 aspectScale: 0.9, label: { show: false },
                 itemStyle: { borderColor: "#ffffff", borderWidth: 0.6 }, data: values }]
    });
    box.setAttribute("data-grids-drawn", String(features.length));
    return chart;
  }

  function start() {
    var data = settings();
    if (!data) return;
    var charts = [];
    var orders = document.getElementById("orders-chart");
    var ages = document.getElementById("ages-chart");
    var map = document.getElementById("analytics-map");
    if (!window.echarts) {
      [orders, ages, map].forEach(function (b) { if (b) message(b, "图表组件未能加载。"); });
      return;
    }
    if (orders) charts.push(ordersChart(orders, data));
    if (ages) charts.push(agesChart(ages, data));
    if (map) {
      fetch(data.geojson_url, { credentials: "same-origin", headers: { Accept: "application/geo+json" } })
        .then(function (r) { if (!r.ok) throw new Error("HTTP " + r.status); return r.json(); })
        .then(function (geojson) { charts.push(mapChart(map, data, geojson)); })
        .catch(function () { message(map, "网格数据加载失败，请刷新重试。"); });
    }
    window.addEventListener("resize", function () {
      charts.forEach(function (c) { if (c) c.resize(); });
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
