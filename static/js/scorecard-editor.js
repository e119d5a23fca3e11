// The scorecard editor: add, remove and reorder groups, measures, bands and categories, and
// show only the chosen rule's widgets. The server checks everything again; without this
// script the page still edits what it shows.
const form = document.querySelector("[data-scorecard-editor]");

function management(prefix) {
  return form.querySelector(`input[name='${prefix}-TOTAL_FORMS']`);
}

function fromTemplate(id, prefix) {
  const total = management(prefix);
  const index = Number(total.value);
  const html = document.getElementById(id).innerHTML.replaceAll("__prefix__", String(index));
  total.value = String(index + 1);
  const holder = document.createElement("div");
  holder.innerHTML = html.trim();
  return holder.firstElementChild;
}

function renumber(container) {
  [...container.children].forEach((item, position) => {
    const order = item.querySelector(":scope > input[name$='-ORDER']");
    if (order) order.value = String(position + 1);
  });
}

function refresh() {
  document.dispatchEvent(new CustomEvent("ascend:content"));
}

function showRule(card) {
  const rule = card.querySelector("select[name$='-rule']").value;
  card.querySelectorAll(".rule-params").forEach((panel) => {
    panel.hidden = panel.dataset.rule !== rule;
  });
}

function addRow(button) {
  const tbody = button.closest(".rule-params").querySelector("tbody[data-rows]");
  const last = tbody.querySelector("tr[data-row]:last-child");
  const kind = tbody.dataset.rows;
  const pattern = new RegExp(`(-${kind}_)(\\d+)(_)`);
  const used = [...tbody.querySelectorAll("input")].map((input) => Number(input.name.match(pattern)?.[2] ?? -1));
  const next = Math.max(...used) + 1;
  const row = last.cloneNode(true);
  row.querySelectorAll(".errorlist").forEach((list) => list.remove());
  row.querySelectorAll("input").forEach((input) => {
    input.name = input.name.replace(pattern, `$1${next}$3`);
    input.id = input.id.replace(pattern, `$1${next}$3`);
    input.value = "";
    input.removeAttribute("aria-invalid");
    input.setAttribute("aria-label", input.getAttribute("aria-label").replace(/\d+$/, String(next + 1)));
  });
  row.querySelectorAll(".visually-hidden").forEach((span) => {
    span.textContent = span.textContent.replace(/\d+$/, String(next + 1));
  });
  tbody.append(row);
  row.querySelector("input").focus();
}

function removeRow(button) {
  const row = button.closest("tr");
  const tbody = row.parentElement;
  const add = row.closest(".rule-params").querySelector("[data-add-row]");
  if (tbody.children.length > 1) row.remove();
  else row.querySelectorAll("input").forEach((input) => { input.value = ""; });
  add.focus();
  refresh();
}

function addMeasure(button) {
  const section = button.closest("[data-group]");
  const card = fromTemplate("measure-template", "measures");
  card.querySelector("input[name$='-group']").value = section.dataset.group;
  const list = section.querySelector("[data-measures]");
  list.append(card);
  renumber(list);
  showRule(card);
  card.querySelector("input[name$='-name']").focus();
  refresh();
}

function addGroup() {
  const section = fromTemplate("group-template", "groups");
  const list = form.querySelector("[data-groups]");
  list.append(section);
  renumber(list);
  section.querySelector("input[name$='-name']").focus();
  refresh();
}

function move(button) {
  const item = button.closest("[data-measure], [data-group]");
  const step = Number(button.dataset.move);
  const sibling = step < 0 ? item.previousElementSibling : item.nextElementSibling;
  if (!sibling) return;
  if (step < 0) sibling.before(item);
  else sibling.after(item);
  renumber(item.parentElement);
  button.focus();
}

if (form) {
  form.addEventListener("click", (event) => {
    const button = event.target.closest("button[type='button']");
    if (!button) return;
    if (button.matches("[data-add-row]")) addRow(button);
    else if (button.matches("[data-remove-row]")) removeRow(button);
    else if (button.matches("[data-add-measure]")) addMeasure(button);
    else if (button.matches("[data-add-group]")) addGroup();
    else if (button.matches("[data-move]")) move(button);
  });
  form.addEventListener("change", (event) => {
    const target = event.target;
    if (target.matches("select[name$='-rule']")) showRule(target.closest("[data-measure]"));
    if (target.matches("input[name$='-DELETE']")) {
      target.closest("[data-measure], [data-group]").classList.toggle("removed", target.checked);
      refresh();
    }
  });
  form.addEventListener("input", (event) => {
    const target = event.target;
    if (!target.matches("input[name$='-name']")) return;
    const item = target.closest("[data-measure], [data-group]");
    const title = item.querySelector(item.matches("[data-measure]") ? "[data-measure-name]" : "[data-group-name]");
    title.textContent = target.value || (item.matches("[data-measure]") ? "New measure" : "New group");
  });
  form.querySelectorAll("[data-measure], [data-group]").forEach((item) => {
    const remove = item.querySelector(":scope > .row-actions input[name$='-DELETE']");
    if (remove && remove.checked) item.classList.add("removed");
  });
  const problems = document.getElementById("problems");
  if (problems) problems.focus();
}
