"""The ``presenter`` video backend: a talking host from one portrait and its speech, rendered on a CPU.

    spec.py     ``PresenterOptions`` (banner name, background, subtitles, music, fps) and the input limits
    face.py     the portrait checked and read: one usable face, its 468 face-mesh landmarks, the person matte
    rig.py      the triangle-mesh warp: Delaunay over the landmarks plus a fixed border ring, basis fields
                (jaw, mouth width, blinks, brows) blended per frame into one ``cv2.remap``
    motion.py   per-frame tracks from the speech: envelope, visemes (pinyin / espeak-ng phonemes), blinks,
                brows on stressed syllables, head motion and breathing
    render.py   ``render_presenter(portrait, speech, output, ...)``: composition and the streaming encoder
    backend.py  the ``presenter`` media backend (speech arrives as WAV in the request: the Studio speaks the script)

Importing this package imports only ``spec`` (standard library + Pydantic).
"""

from __future__ import annotations

from .spec import MAX_SCRIPT_CHARS, MIN_PORTRAIT_SIDE, PresenterOptions, validate_options

__all__ = ["MAX_SCRIPT_CHARS", "MIN_PORTRAIT_SIDE", "PresenterOptions", "validate_options"]
