"""Cross-cutting engineering tests: reproducibility by seed, streaming overhead."""
