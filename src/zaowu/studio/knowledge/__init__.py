"""Knowledge bases: documents chunked with their page, sheet and heading path (parse.py), words for
Chinese-aware full-text search (segment.py), and files, vector stores, ingest and hybrid retrieval
(store.py). The Studio holds one ``KnowledgeBase`` as ``studio.knowledge``; ingest runs as the
``kb_ingest`` job (jobs.py)."""
