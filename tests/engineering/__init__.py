"""Cross-cutting engineering tests: capabilities, one way to run media, one recorded path, reproducible seeds, streaming overhead, configuration, CLI commands, remote servers, imports."""
