"""Speech: synthesis engines run as separate processes (engines.py), the speech backend
(backend.py), transcription with faster-whisper (whisper.py) and subtitle formats (formats.py).

Importing this package is light: heavy libraries load inside the functions that use them.
"""
