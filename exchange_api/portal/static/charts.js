// Draws the charts of a page from its data endpoint, over the tables that already show the same
// figures: without script (or without this file) the tables are the page. Each chart is an
// element [data-chart=key] inside #charts[data-source]; the endpoint answers {charts: [...]},
// each {key, kind, unit, categories, series: [{name, values, unit}], links}.
"use strict";

(function () {
  var root = document.getElementById("charts");
  if (!root || typeof echarts === "undefined") return;
  var zh = root.dataset.lang !== "en";

  function formatter(unit) {
    if (unit === "share") return function (v) { return v === null || v === undefined ? "—" : (v * 100).toFixed(1) + "%"; };
    return function (v) { return v === null || v === undefined ? "—" : Number(v).toLocaleString(zh ? "zh-CN" : "en"); };
  }

  function axes(chart) {
    var units = [];
    chart.series.forEach(function (s) { if (units.indexOf(s.unit) < 0) units.push(s.unit); });
    return units;
  }

  function cartesian(chart) {
    var units = axes(chart);
    return {
      legend: { top: 0 },
      grid: { left: 8, right: 8, bottom: 8, top: 40, containLabel: true },
      tooltip: { trigger: "axis", valueFormatter: formatter(chart.unit) },
      xAxis: { type: "category", data: chart.categories, name: chart.category_title },
      yAxis: units.map(function (unit) {
        return { type: "value", axisLabel: { formatter: formatter(unit) }, max: unit === "share" ? 1 : null };
      }),
      series: chart.series.map(function (s) {
        return {
          name: s.name, type: chart.kind, data: s.values, yAxisIndex: units.indexOf(s.unit),
          connectNulls: false, tooltip: { valueFormatter: formatter(s.unit) },
        };
      }),
    };
  }

  function heatmap(chart) {
    var cells = [];
    chart.series.forEach(function (s, y) {
      s.values.forEach(function (v, x) { if (v !== null) cells.push([x, y, v]); });
    });
    return {
      tooltip: { valueFormatter: formatter("share") },
      grid: { left: 8, right: 8, bottom: 60, top: 8, containLabel: true },
      xAxis: { type: "category", data: chart.categories },
      yAxis: { type: "category", data: chart.series.map(function (s) { return s.name; }) },
      visualMap: { min: 0, max: 1, orient: "horizontal", left: "center", bottom: 0, calculable: true,
                   formatter: formatter("share"), inRange: { color: ["#b2182b", "#fddbc7", "#1a9850"] } },
      series: [{ type: "heatmap", data: cells, label: { show: chart.categories.length <= 12, formatter: function (p) { return Math.round(p.value[2] * 100); } } }],
    };
  }

  function sankey(chart) {
    var names = [];
    chart.links.forEach(function (l) {
      // A department both provides and consumes: its two roles are two nodes of the graph.
      [l.source + " ▸", "▸ " + l.target].forEach(function (n) { if (names.indexOf(n) < 0) names.push(n); });
    });
    return {
      tooltip: { trigger: "item", valueFormatter: formatter("rows") },
      series: [{
        type: "sankey", emphasis: { focus: "adjacency" }, nodeGap: 12,
        data: names.map(function (n) { return { name: n }; }),
        links: chart.links.map(function (l) {
          return { source: l.source + " ▸", target: "▸ " + l.target, value: l.value, href: l.href };
        }),
      }],
    };
  }

  var build = { line: cartesian, bar: cartesian, heatmap: heatmap, sankey: sankey };

  function saveButton(instance, chart, holder) {
    var button = document.createElement("button");
    button.type = "button";
    button.className = "secondary save-png";
    button.textContent = root.dataset.png;
    button.addEventListener("click", function () {
      var link = document.createElement("a");
      link.href = instance.getDataURL({ type: "png", pixelRatio: 2, backgroundColor: "#fff" });
      link.download = chart.key + ".png";
      document.body.appendChild(link);
      link.click();
      link.remove();
    });
    holder.parentNode.insertBefore(button, holder.nextSibling);
  }

  function draw(chart) {
    var holder = root.querySelector('[data-chart="' + chart.key + '"]');
    var empty = chart.kind === "sankey" ? chart.links.length === 0 : chart.categories.length === 0;
    if (!holder || empty || !build[chart.kind]) return;
    holder.hidden = false;
    var instance = echarts.init(holder, null, { locale: zh ? "ZH" : "EN", renderer: "canvas" });
    var option = build[chart.kind](chart);
    // The chart describes itself to screen readers; the table below stays for the numbers.
    option.aria = { enabled: true };
    option.animation = false;
    instance.setOption(option);
    if (chart.kind === "sankey") {
      instance.on("click", function (p) { if (p.dataType === "edge" && p.data.href) window.location.href = p.data.href; });
    }
    saveButton(instance, chart, holder);
    var details = holder.parentNode.querySelector("details.figures");
    if (details) details.open = false;
    window.addEventListener("resize", function () { instance.resize(); });
  }

  fetch(root.dataset.source, { credentials: "same-origin", headers: { Accept: "application/json" } })
    .then(function (answer) { if (!answer.ok) throw new Error(answer.status); return answer.json(); })
    .then(function (figures) {
      var failed = 0;
      figures.charts.forEach(function (chart) {
        try { draw(chart); } catch (error) { failed += 1; }  // its table stays open
      });
      root.dataset.drawn = failed ? "failed" : "true";
    })
    .catch(function () { root.dataset.drawn = "failed"; });
})();
