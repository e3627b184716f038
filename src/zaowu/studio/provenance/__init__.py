"""Provenance: the labels, C2PA content credentials and invisible watermark every stored output carries."""
