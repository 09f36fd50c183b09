"""image-bench: the template's recipe against the seed-style recipe, measured side by side."""
