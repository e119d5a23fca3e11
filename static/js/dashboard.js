// The quadrant: plotly from static; a click on an account's dot opens that account.
(function () {
  const target = document.getElementById("quadrant");
  const figure = JSON.parse(JSON.parse(document.getElementById("quadrant-figure").textContent));
  if (target.clientWidth < 600) {
    // On a phone the cells' names would overlap: the cell table below names them, and the
    // chart keeps a height a thumb can still aim in.
    figure.layout.annotations = [];
    figure.layout.height = 440;
    figure.layout.margin = { l: 50, r: 10, t: 50, b: 50 };
    figure.layout.title.font = { size: 13 };
  }
  Plotly.newPlot(target, figure.data, figure.layout, { displaylogo: false, responsive: true });
  target.on("plotly_click", function (event) {
    const id = event.points[0].customdata[0];
    window.location = target.dataset.accountUrl.replace(/\/0\/$/, "/" + encodeURIComponent(id) + "/");
  });
})();

// The per-segment metrics are heavier aggregates: fetched once the quadrant is on screen.
(function () {
  const box = document.getElementById("segment-metrics-box");
  if (!box) return;
  fetch(box.dataset.url, { headers: { Accept: "text/html" } })
    .then((response) => (response.ok ? response.text() : Promise.reject(response.status)))
    .then((html) => { box.innerHTML = html; document.dispatchEvent(new Event("ascend:content")); })
    .catch(() => { box.innerHTML = "<p class='muted'>The metrics could not be loaded; reload to retry.</p>"; });
})();
