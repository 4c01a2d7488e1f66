"""Converters from public QA datasets to this project's corpus folders and eval suites."""
