// Draws the budget forecast's chart from the JSON beside it; without Chart.js the table alone remains.
(function () {
  "use strict";

  var CRORE = 1e7;

  function crore(value) {
    return "Rs " + (value / CRORE).toLocaleString("en-IN", { maximumFractionDigits: 2 }) + " cr";
  }

  function series(strings) {
    // Exact decimal strings to numbers: drawing needs no more precision than a pixel.
    return strings.map(function (text) { return Number(text); });
  }

  function draw(canvas) {
    var source = document.getElementById(canvas.dataset.chartData);
    if (!source || typeof window.Chart === "undefined") {
      return;
    }
    var data = JSON.parse(source.textContent);
    var names = data.names;
    new window.Chart(canvas, {
      data: {
        labels: data.labels,
        datasets: [
          { type: "bar", label: names.sli, data: series(data.sli), backgroundColor: "#0b3d6e", order: 2 },
          { type: "bar", label: names.capital, data: series(data.capital), backgroundColor: "#b7791f", order: 2 },
          { type: "line", label: names.sli_cumulative, data: series(data.sli_cumulative), borderColor: "#1a7f37", backgroundColor: "#1a7f37", order: 1 },
          { type: "line", label: names.sli_pool, data: series(data.sli_pool), borderColor: "#9aa5b1", borderDash: [6, 4], pointRadius: 0, order: 1 },
          { type: "line", label: names.capital_cumulative, data: series(data.capital_cumulative), borderColor: "#c05621", backgroundColor: "#c05621", order: 1, hidden: true },
          { type: "line", label: names.capital_pool, data: series(data.capital_pool), borderColor: "#d69e2e", borderDash: [2, 3], pointRadius: 0, order: 1, hidden: true }
        ]
      },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        interaction: { mode: "index", intersect: false },
        scales: { y: { beginAtZero: true, ticks: { callback: crore } } },
        plugins: {
          tooltip: { callbacks: { label: function (item) { return item.dataset.label + ": " + crore(item.parsed.y); } } }
        }
      }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("canvas[data-chart-data]").forEach(draw);
  });
})();
