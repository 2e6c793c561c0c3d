"""Printing and rendering: a verified solution becomes text, Markdown, JSON, LaTeX and PDF."""
