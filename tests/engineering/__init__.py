"""Cross-cutting engineering tests: one way to run media, one recorded-generation path."""
