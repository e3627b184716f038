"""Music: a plan (plan.py), zaowu's composer (composer.py), FluidSynth rendering
(render.py) and the backend that joins them (backend.py).

Importing this package is light: heavy libraries load inside the functions that use them.
"""
