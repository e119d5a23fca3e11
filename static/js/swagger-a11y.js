// Swagger UI draws its servers dropdown with a label that is not tied to it: name it once drawn.
new MutationObserver((_, observer) => {
  const servers = document.getElementById("servers");
  if (servers) {
    servers.setAttribute("aria-label", "Server");
    observer.disconnect();
  }
}).observe(document.body, { childList: true, subtree: true });
