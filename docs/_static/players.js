// A recorded run's player is made the first time its badge opens: a player made
// inside a closed <details> would measure a box of no width, and a reader who
// never opens one fetches no cast. The player is asciinema-player (AsciinemaPlayer),
// from sphinxcontrib-asciinema's static files. "toggle" does not bubble, so it is
// caught on its way down.
document.addEventListener(
  "toggle",
  (event) => {
    const details = event.target;
    if (!details.open || !details.querySelector) return;
    const box = details.querySelector("div.proof-player[data-cast]");
    if (!box || box.dataset.made) return;
    box.dataset.made = "yes";
    // As many columns as the run's widest line; the box no wider than they need at
    // about the page's code size (a monospace column is 0.6 of a font size of some
    // 0.83 rem), so the player scales its text down only on a narrow screen.
    const cols = Number(box.dataset.cols);
    box.style.maxWidth = `${cols * 0.5 + 1.5}rem`;
    const options = { fit: "width", cols };
    if (box.dataset.idle) options.idleTimeLimit = Number(box.dataset.idle);
    AsciinemaPlayer.create(box.dataset.cast, box, options);
  },
  true,
);
