// Draws the monitor's charts from the JSON beside each canvas (incentives/monitor/charts.py);
// without Chart.js the tables alone remain, holding the same figures.
(function () {
  "use strict";

  function format(unit, value) {
    if (value === null || value === undefined || Number.isNaN(value)) {
      return "withheld";
    }
    var text = value.toLocaleString("en-IN", { maximumFractionDigits: 2 });
    if (unit === "Rs crore") {
      return "Rs " + text + " cr";
    }
    return unit === "count" ? text : text + " " + unit;
  }

  function numbers(strings) {
    // Exact decimal strings to numbers: drawing needs no more precision than a pixel.
    return strings.map(function (text) { return text === null ? null : Number(text); });
  }

  function dataset(series) {
    var line = series.kind === "line";
    return {
      type: line ? "line" : "bar",
      label: series.label,
      data: numbers(series.values),
      borderColor: series.color,
      backgroundColor: series.color,
      borderDash: series.dashed ? [6, 4] : [],
      pointRadius: line && series.dashed ? 0 : 3,
      stack: series.stack || series.label,
      order: line ? 0 : 1
    };
  }

  function draw(canvas) {
    var source = document.getElementById(canvas.dataset.chartData);
    if (!source || typeof window.Chart === "undefined") {
      return;
    }
    var spec = JSON.parse(source.textContent);
    var stacked = spec.series.some(function (s) { return s.stack; });
    new window.Chart(canvas, {
      data: { labels: spec.labels, datasets: spec.series.map(dataset) },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        interaction: { mode: "index", intersect: false },
        scales: {
          x: { stacked: stacked },
          y: { stacked: stacked, beginAtZero: true, title: { display: true, text: spec.unit } }
        },
        plugins: {
          tooltip: {
            callbacks: {
              label: function (item) { return item.dataset.label + ": " + format(spec.unit, item.parsed.y); }
            }
          }
        }
      }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("canvas[data-chart-data]").forEach(draw);
  });
})();
