"""Issue 11: content checks and repairs (checkers with hand-written inputs, apps run with a real model)."""
