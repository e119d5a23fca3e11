// Draws every figure in a json_script block whose keys are element ids.
(function () {
  document.querySelectorAll("script[type='application/json'][id$='-charts']").forEach(function (block) {
    const figures = JSON.parse(block.textContent);
    Object.entries(figures).forEach(function ([id, json]) {
      const target = document.getElementById(id);
      if (!target) return;
      const figure = JSON.parse(json);
      Plotly.newPlot(target, figure.data, figure.layout, { displaylogo: false, responsive: true });
    });
  });
})();
