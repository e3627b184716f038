"""Labels and provenance on every stored output (GB 45438-2025, C2PA).

``labels.py`` holds the one labelling pipeline the artifact store runs on every generated file
(explicit label, invisible watermark, implicit metadata, C2PA signature, in that order: ``watermark.py`` and ``c2pa.py`` hold the last two) and
``verify``, which reports the labels a file carries. One module per format family writes and
reads the labels: ``image`` (PNG/JPEG/WebP), ``audio`` (WAV/MP3), ``video`` (MP4), ``text``
(plain, Markdown, JSON, HTML) and ``office`` (DOCX/XLSX/PPTX, PDF). ``aigc`` holds the implicit
label object itself. Importing this package loads nothing heavy.
"""
