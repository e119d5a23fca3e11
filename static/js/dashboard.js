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
