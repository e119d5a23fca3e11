// Polls a job's status URL and fills the <progress> bar; reloads the page when the job ends.
// data-unit="percent" shows a share (data-doing names the work), otherwise rows done of all.
(function () {
  const box = document.getElementById("progress");
  if (!box) return;
  const bar = box.querySelector("progress");
  const label = box.querySelector(".label");
  async function poll() {
    try {
      const response = await fetch(box.dataset.statusUrl, { headers: { Accept: "application/json" } });
      const state = await response.json();
      if (state.finished) { window.location.reload(); return; }
      if (state.total && box.dataset.unit === "percent") {
        bar.value = Math.round((100 * state.done) / state.total);
        label.textContent = `${box.dataset.doing || ""}${bar.value}% computed`;
      } else if (state.total) {
        bar.value = Math.round((100 * state.done) / state.total);
        label.textContent = `${state.done.toLocaleString()} of ${state.total.toLocaleString()} ${box.dataset.noun || "rows"}`;
      } else {
        label.textContent = state.status === "running" ? "Checking rows…" : "Waiting for a worker…";
      }
    } catch (error) {
      label.textContent = "Lost contact with the server; retrying…";
    }
    setTimeout(poll, 700);
  }
  poll();
})();
