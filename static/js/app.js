// Behaviour every page shares. No inline handlers: the Content Security Policy refuses them.
document.querySelectorAll("select[data-submit-on-change]").forEach((select) => {
  select.addEventListener("change", () => select.form.submit());
});
