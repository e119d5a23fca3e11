// Runs before the page is drawn: the CSS folds the phone menu only when JavaScript can open it.
document.documentElement.classList.add("js");
