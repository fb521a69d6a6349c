/* 筑云 zhuyun — the command centre's map (指挥中心): the grids' GeoJSON registered as an
   ECharts map, each grid heat-coloured by its live orders through a visualMap, and the live
   orders as points on the same geo (overdue ones red); a click on a point opens the order.
   Settings come from the JSON data island #command-map-data (the CSP allows no inline
   script). The map marks itself with data-heat-grids and data-points when drawn. */
(function () {
  "use strict";

  var FONT = '"PingFang SC", "Hiragino Sans GB", "Microsoft YaHei", "Noto Sans CJK SC", ' +
    '"Source Han Sans SC", "WenQuanYi Micro Hei", sans-serif';
  var PAGES = 5;  // at most 5 × 200 points: the most urgent first

  function getJSON(url) {
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) {
        if (!r.ok) throw new Error(url + " " + r.status);
        return r.json();
      });
  }

  function points(base) {
    var found = [];
    function page(offset, n) {
      return getJSON(base + "limit=200&offset=" + offset).then(function (body) {
        found = found.concat(body.data);
        if (n + 1 < PAGES && offset + body.data.length < body.count && body.data.length) {
          return page(offset + body.data.length, n + 1);
        }
        return found;
      });
    }
    return page(0, 0);
  }

  function draw(container, geojson, heat, live) {
    var features = geojson.features || [];
    if (!features.length) {
      container.textContent = "该范围内还没有网格。";
      return;
    }
    window.echarts.registerMap("zhuyun-command", geojson);
    var counts = {};
    heat.grids.forEach(function (g) { counts[g.grid_code] = g; });
    var chart = window.echarts.init(container, null, { renderer: "canvas" });
    chart.setOption({
      textStyle: { fontFamily: FONT },
      tooltip: {
        trigger: "item",
        confine: true,
        formatter: function (p) {
          if (p.seriesType === "scatter") {
            var o = p.data.order;
            return o.number + "<br>" + o.category_name + " · " + o.status_label +
              (o.overdue ? "<br>已超期" : "");
          }
          var g = counts[p.name];
          return p.name + "<br>在办 " + (g ? g.live : 0) + " 件" +
            (g && g.overdue ? "，超期 " + g.overdue : "");
        }
      },
      geo: {
        map: "zhuyun-command",
        nameProperty: "code",
        roam: true,
        aspectScale: 0.9,
        label: { show: false },
        itemStyle: { borderColor: "#ffffff", borderWidth: 0.6, areaColor: "#eef2f7" },
        emphasis: { label: { show: false }, itemStyle: { areaColor: "#ffd666" } }
      },
      visualMap: {
        type: "continuous",
        seriesIndex: 0,
        min: 0,
        max: Math.max(heat.max, 1),
        text: ["在办多", "少"],
        calculable: true,
        left: 8,
        bottom: 8,
        inRange: { color: ["#e8f1fb", "#9cc3ea", "#f0a43a", "#d9363e"] }
      },
      series: [
        {
          type: "map",
          geoIndex: 0,
          data: features.map(function (f) {
            var g = counts[f.properties.code];
            return { name: f.properties.code, value: g ? g.live : 0 };
          })
        },
        {
          type: "scatter",
          coordinateSystem: "geo",
          symbolSize: function (v, p) { return p.data.order.urgency === "normal" ? 6 : 10; },
          itemStyle: {
            color: function (p) { return p.data.order.overdue ? "#d9363e" : "#1f5fa8"; },
            borderColor: "#ffffff",
            borderWidth: 1
          },
          data: live.map(function (o) { return { value: [o.lng, o.lat], order: o }; })
        }
      ]
    });
    chart.on("click", function (e) {
      if (e.seriesType === "scatter" && e.data && e.data.order) {
        window.location.href = "/governance/workorders/" + e.data.order.id;
      }
    });
    container.setAttribute("data-heat-grids", String(heat.grids.length));
    container.setAttribute("data-heat-max", String(heat.max));
    container.setAttribute("data-points", String(live.length));
    window.addEventListener("resize", function () { chart.resize(); });
  }

  function start() {
    var container = document.getElementById("command-map");
    var node = document.getElementById("command-map-data");
    if (!container || !node || !window.echarts) return;
    var settings = JSON.parse(node.textContent || "{}");
    Promise.all([getJSON(settings.geojson_url), getJSON(settings.heat_url), points(settings.live_url)])
      .then(function (all) { draw(container, all[0], all[1], all[2]); })
      .catch(function () { container.textContent = "地图数据加载失败，请刷新重试。"; });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
