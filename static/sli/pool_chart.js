// Draws the SLI pool's chart from the JSON beside it; without Chart.js the table alone remains.
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
    new window.Chart(canvas, {
      type: "line",
      data: {
        labels: data.labels,
        datasets: [
          { label: "Pool limit", data: series(data.pool), borderColor: "#9aa5b1", borderDash: [6, 4], pointRadius: 0, stepped: true },
          { label: "Sanctioned to date", data: series(data.sanctioned), borderColor: "#0b3d6e", backgroundColor: "#0b3d6e" },
          { label: "Paid to date", data: series(data.paid), borderColor: "#1a7f37", backgroundColor: "#1a7f37" }
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
