// Behaviour every page shares. No inline handlers: the Content Security Policy refuses them.
document.querySelectorAll("select[data-submit-on-change]").forEach((select) => {
  select.addEventListener("change", () => select.form.submit());
});

// The phone's menu: the top bar folds its links behind one button below 960 px.
const topbar = document.getElementById("topbar");
const toggle = topbar && topbar.querySelector(".menu-toggle");
if (toggle) {
  toggle.addEventListener("click", () => {
    const open = topbar.classList.toggle("open");
    toggle.setAttribute("aria-expanded", String(open));
  });
}

// A table wider than the screen scrolls inside its own box; a keyboard can then reach that
// box (tab to it, scroll with the arrows) and a screen reader hears what it holds.
function scrollBoxes() {
  document.querySelectorAll(".table-scroll, .scroll, main pre").forEach((box) => {
    const scrolls = box.scrollWidth > box.clientWidth + 1;
    if (scrolls && !box.hasAttribute("tabindex")) {
      box.setAttribute("tabindex", "0");
      box.setAttribute("role", "region");
      if (!box.hasAttribute("aria-label")) {
        const caption = box.querySelector("caption");
        const heading = box.closest("section, main")?.querySelector("h2, h1");
        const name = (caption || heading)?.textContent.trim() || "Table";
        box.setAttribute("aria-label", `${name} (scrolls sideways)`);
      }
    } else if (!scrolls && box.getAttribute("role") === "region") {
      box.removeAttribute("tabindex");
      box.removeAttribute("role");
    }
  });
}
scrollBoxes();
window.addEventListener("resize", scrollBoxes);
document.addEventListener("ascend:content", scrollBoxes);  // a panel filled in after load

// A destructive action asks first: <form data-confirm="…"> (no inline handlers under the CSP).
document.querySelectorAll("form[data-confirm]").forEach((form) => {
  form.addEventListener("submit", (event) => {
    if (!window.confirm(form.dataset.confirm)) event.preventDefault();
  });
});

// A running total under a weights table, as the manager types (the server still checks it).
// data-weight-total is the selector of the weights; data-weight-scope, the ancestor to look
// in; the editors' script adds and removes rows, so the inputs are looked up each time.
function weightTotals() {
  document.querySelectorAll("[data-weight-total]").forEach((out) => {
    const scope = out.dataset.weightScope ? out.closest(out.dataset.weightScope) : document;
    const inputs = [...scope.querySelectorAll(out.dataset.weightTotal)];
    const total = inputs.reduce((sum, input) => sum + (parseFloat(input.value) || 0), 0);
    const rounded = Math.round(total * 100) / 100;
    const noun = out.dataset.weightNoun || "Total";
    out.textContent = rounded === 100 ? `${noun}: 100%` : `${noun}: ${rounded}%; the weights must total 100%.`;
    out.classList.toggle("warn", rounded !== 100);
  });
}
["input", "change", "ascend:content"].forEach((name) => document.addEventListener(name, weightTotals));
weightTotals();

// The grid editor: a cell's left edge follows its colour as it is picked.
document.addEventListener("input", (event) => {
  if (!event.target.matches("input[data-cell-colour]")) return;
  event.target.closest("fieldset").style.borderLeftColor = event.target.value;
});

// The customer's survey: how many questions have an answer, beside the send button.
document.querySelectorAll("form[data-survey]").forEach((form) => {
  const out = form.querySelector("[data-answered]");
  const questions = [...form.querySelectorAll("[data-question]")];
  function count() {
    const answered = questions.filter((q) => q.querySelector("input:checked")).length;
    out.textContent = `${answered} of ${questions.length} answered`;
  }
  out.hidden = false;
  form.addEventListener("change", count);
  count();
});
const surveyProblems = document.querySelector("form[data-survey] #problems");
if (surveyProblems) surveyProblems.focus();

// The account list's bulk bar: only the choice the chosen action uses (the CSM to reassign to,
// or the action's option, such as the playbook). Without this script both are shown.
document.querySelectorAll("form#bulk").forEach((form) => {
  const action = form.querySelector("select[name=action]");
  const csm = form.querySelector("select[name=csm]")?.closest("label");
  const option = form.querySelector("select[name=option]")?.closest("label");
  function show() {
    if (csm) csm.style.display = action.value === "reassign" ? "" : "none";
    if (option) option.style.display = ["reassign", "export"].includes(action.value) ? "none" : "";
  }
  action.addEventListener("change", show);
  show();
});

// The framework editor's what-if: the pillar weights as typed, scored on today's accounts by
// the server (the Score Lab's own what-if), shown before anything is saved.
// The scorecard editor's what-if: the whole form as typed (rules, weights, levels), posted.
document.querySelectorAll("button[data-whatif-form]").forEach((button) => {
  const out = document.getElementById("whatif");
  button.addEventListener("click", async () => {
    out.textContent = "Computing…";
    try {
      const response = await fetch(button.dataset.whatifForm, {
        method: "POST",
        body: new FormData(button.form),
        headers: { Accept: "text/html" },
        credentials: "same-origin",
      });
      out.innerHTML = await response.text();
      document.dispatchEvent(new Event("ascend:content"));
    } catch (error) {
      out.textContent = "The preview could not be computed; try again.";
    }
  });
});

document.querySelectorAll("button[data-whatif]").forEach((button) => {
  const out = document.getElementById("whatif");
  button.addEventListener("click", async () => {
    const params = new URLSearchParams();
    document.querySelectorAll("#pillar-weights tr").forEach((row) => {
      const key = row.querySelector("input[name$='-key']");
      const weight = row.querySelector("input[name$='-weight']");
      if (key && weight) params.set(key.value, weight.value);
    });
    out.textContent = "Computing…";
    try {
      const response = await fetch(`${button.dataset.whatif}?${params}`, { headers: { Accept: "text/html" } });
      out.innerHTML = await response.text();
      document.dispatchEvent(new Event("ascend:content"));
    } catch (error) {
      out.textContent = "The preview could not be computed; try again.";
    }
  });
});
