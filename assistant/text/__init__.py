"""The one copy of the basic text tools every layer uses: tokens, stems, sentences, dates.

Ingest, retrieval and answering import from here so that they agree about words.
"""
