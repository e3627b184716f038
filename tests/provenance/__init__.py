"""Issue 16: labels and provenance on every stored output."""
