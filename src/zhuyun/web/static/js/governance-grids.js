/* 筑云 zhuyun — the grids map (网格管理): the grids' GeoJSON export registered as an ECharts
   map, one region per grid (named by its code), coloured by district; a click shows the grid's
   code, community and workers beside the map. Settings come from the JSON data island
   <script type="application/json" id="grid-map-data"> (data, never executed: the CSP allows
   no inline script). */
(function () {
  "use strict";

  var FONT = '"PingFang SC", "Hiragino Sans GB", "Microsoft YaHei", "Noto Sans CJK SC", ' +
    '"Source Han Sans SC", "WenQuanYi Micro Hei", sans-serif';

  function readSettings() {
    var node = document.getElementById("grid-map-data");
    if (!node) return null;
    try {
      return JSON.parse(node.textContent || "{}");
    } catch (e) {
      return null;
    }
  }

  function message(container, text) {
    container.textContent = "";
    var p = document.createElement("p");
    p.className = "chart-fallback muted";
    p.textContent = text;
    container.appendChild(p);
  }

  function showDetail(props) {
    var panel = document.getElementById("grid-detail");
    if (!panel || !props) return;
    var list = panel.querySelector("[data-detail]");
    var empty = panel.querySelector("[data-empty]");
    var values = {
      code: props.code,
      name: props.name,
      community: props.community_name + "（" + props.community_code + "）",
      street: props.street_name,
      district: props.district_name,
      area: (props.area_m2 / 1e6).toFixed(2) + " km²",
      workers: (props.worker_names || []).length
        ? props.worker_names.map(function (n, i) {
          return n + "（" + (props.workers[i] || "") + "）";
        }).join("、")
        : "—"
    };
    Object.keys(values).forEach(function (key) {
      var cell = list.querySelector('[data-field="' + key + '"]');
      if (cell) cell.textContent = values[key];
    });
    list.hidden = false;
    if (empty) empty.hidden = true;
    panel.setAttribute("data-grid", props.code);
  }

  // The district's colour, lighter or darker by community, so neighbouring communities of
  // one district stay apart.
  function shade(hex, key) {
    var n = 0;
    for (var i = 0; i < key.length; i++) n = (n * 31 + key.charCodeAt(i)) % 9973;
    var t = [0, 0.18, 0.34, -0.14][n % 4];
    var rgb = [1, 3, 5].map(function (k) { return parseInt(hex.substr(k, 2), 16); });
    var out = rgb.map(function (c) {
      var v = t >= 0 ? c + (255 - c) * t : c * (1 + t);
      return ("0" + Math.round(v).toString(16)).slice(-2);
    });
    return "#" + out.join("");
  }

  function draw(container, settings, geojson) {
    var features = geojson.features || [];
    if (!features.length) {
      message(container, "该范围内还没有网格。");
      return;
    }
    var byCode = {};
    features.forEach(function (f) { byCode[f.properties.code] = f.properties; });
    window.echarts.registerMap("zhuyun-grids", geojson);
    var colours = settings.colours || {};
    var chart = window.echarts.init(container, null, { renderer: "canvas" });
    chart.setOption({
      textStyle: { fontFamily: FONT },
      tooltip: {
        trigger: "item",
        confine: true,
        backgroundColor: "rgba(13, 42, 82, .92)",
        borderWidth: 0,
        textStyle: { color: "#fff", fontFamily: FONT, fontSize: 12 },
        formatter: function (p) {
          var props = byCode[p.name];
          if (!props) return p.name;
          return props.name + "<br>" + props.code + "<br>" + props.community_name + " · " +
            props.district_name;
        }
      },
      series: [{
        type: "map",
        map: "zhuyun-grids",
        nameProperty: "code",
        roam: true,
        selectedMode: "single",
        aspectScale: 0.9,
        label: { show: false },
        itemStyle: { borderColor: "#ffffff", borderWidth: 0.6 },
        emphasis: { label: { show: false }, itemStyle: { areaColor: "#ffd666" } },
        select: { label: { show: false }, itemStyle: { areaColor: "#ffb020" } },
        data: features.map(function (f) {
          var p = f.properties;
          return {
            name: p.code,
            value: 1,
            itemStyle: { areaColor: shade(colours[p.district_code] || "#8aa1bd", p.community_code) }
          };
        })
      }]
    });
    chart.on("click", function (event) { showDetail(byCode[event.name]); });
    container.setAttribute("data-grids-drawn", String(features.length));
    window.addEventListener("resize", function () { chart.resize(); });
  }

  function start() {
    var container = document.getElementById("grid-map");
    var settings = readSettings();
    if (!container || !settings) return;
    if (!window.echarts) {
      message(container, "地图组件未能加载。");
      return;
    }
    fetch(settings.geojson_url, { credentials: "same-origin", headers: { Accept: "application/geo+json" } })
      .then(function (response) {
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.json();
      })
      .then(function (geojson) { draw(container, settings, geojson); })
      .catch(function () { message(container, "网格数据加载失败，请刷新重试。"); });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
