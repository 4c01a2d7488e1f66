"""A terminal assistant that answers questions about news articles with verified quotes."""

__version__ = "0.1.0"
