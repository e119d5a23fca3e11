// A button with data-copy="<input id>" copies that input's text and says so.
(function () {
  document.querySelectorAll("button[data-copy]").forEach(function (button) {
    button.addEventListener("click", function () {
      const input = document.getElementById(button.dataset.copy);
      const label = button.textContent;
      const done = function () {
        button.textContent = "Copied";
        setTimeout(function () { button.textContent = label; }, 2000);
      };
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(input.value).then(done, function () { input.select(); });
      } else {
        input.select();  // no clipboard API (plain http): selected, for Ctrl+C
        document.execCommand("copy") && done();
      }
    });
  });
})();
