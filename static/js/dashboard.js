// The quadrant: plotly from static; a click on a point or a cell lists that cell's accounts.
(function () {
  const target = document.getElementById("quadrant");
  const figure = JSON.parse(JSON.parse(document.getElementById("quadrant-figure").textContent));
  Plotly.newPlot(target, figure.data, figure.layout, { displaylogo: false, responsive: true });
  const view = new URLSearchParams(window.location.search).get("view") || "";
  target.on("plotly_click", function (event) {
    const cell = event.points[0].data.meta;
    const param = view === "2x2" ? "quadrant" : "segment";
    window.location = target.dataset.listUrl + "?" + param + "=" + encodeURIComponent(cell);
  });
})();

// The per-segment metrics are heavier aggregates: fetched once the quadrant is on screen.
(function () {
  const box = document.getElementById("segment-metrics-box");
  if (!box) return;
  fetch(box.dataset.url, { headers: { Accept: "text/html" } })
    .then((response) => (response.ok ? response.text() : Promise.reject(response.status)))
    .then((html) => { box.innerHTML = html; })
    .catch(() => { box.innerHTML = "<p class='muted'>The metrics could not be loaded; reload to retry.</p>"; });
})();
