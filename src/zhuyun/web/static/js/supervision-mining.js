/* 筑云 zhuyun — the process-mining page's directly-follows graph (Apache ECharts graph
   series). The page carries the graph in <script type="application/json" id="dfg-data">
   (data, never executed: the CSP needs no 'unsafe-inline'). */
(function () {
  "use strict";

  var FONT = '"PingFang SC", "Hiragino Sans GB", "Microsoft YaHei", "Noto Sans CJK SC", sans-serif';

  function readData() {
    var node = document.getElementById("dfg-data");
    if (!node) return null;
    try {
      return JSON.parse(node.textContent || "{}");
    } catch (e) {
      return null;
    }
  }

  function hours(seconds) {
    if (seconds < 3600) return (seconds / 60).toFixed(1) + " 分钟";
    if (seconds < 86400 * 2) return (seconds / 3600).toFixed(1) + " 小时";
    return (seconds / 86400).toFixed(1) + " 天";
  }

  function draw() {
    var box = document.getElementById("dfg-chart");
    var data = readData();
    if (!box || !data || typeof echarts === "undefined") return;
    var chart = echarts.init(box, null, { renderer: "canvas" });
    var maxCount = 1;
    data.nodes.forEach(function (n) { if (n.count > maxCount) maxCount = n.count; });
    var maxEdge = 1;
    data.edges.forEach(function (e) { if (e.count > maxEdge) maxEdge = e.count; });
    var nodes = data.nodes.map(function (n) {
      var isStart = Object.prototype.hasOwnProperty.call(data.start, n.name);
      var isEnd = Object.prototype.hasOwnProperty.call(data.end, n.name);
      return {
        name: n.name,
        value: n.count,
        symbolSize: 18 + 34 * Math.sqrt(n.count / maxCount),
        itemStyle: { color: isStart ? "#0e8a8a" : isEnd ? "#e2725b" : "#1f5fa8" },
        label: { show: true, position: "bottom", fontSize: 11, color: "#44536a" }
      };
    });
    var links = data.edges.map(function (e) {
      return {
        source: e.source,
        target: e.target,
        value: e.count,
        median: e.median_seconds,
        lineStyle: { width: 1 + 5 * e.count / maxEdge, curveness: 0.2, opacity: 0.7 },
        label: { show: data.edges.length <= 30, formatter: String(e.count), fontSize: 10 }
      };
    });
    chart.setOption({
      textStyle: { fontFamily: FONT },
      tooltip: {
        confine: true,
        formatter: function (p) {
          if (p.dataType === "edge") {
            return p.data.source + " → " + p.data.target + "<br>" + p.data.value.toLocaleString("zh-CN") +
              " 次，中位间隔 " + hours(p.data.median);
          }
          return p.name + "<br>" + p.value.toLocaleString("zh-CN") + " 个事件";
        }
      },
      series: [{
        type: "graph",
        layout: "force",
        roam: true,
        draggable: true,
        force: { repulsion: 420, edgeLength: [80, 200], gravity: 0.08 },
        edgeSymbol: ["none", "arrow"],
        edgeSymbolSize: 8,
        data: nodes,
        links: links
      }]
    });
    box.setAttribute("data-drawn", String(nodes.length));
    window.addEventListener("resize", function () { chart.resize(); });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
