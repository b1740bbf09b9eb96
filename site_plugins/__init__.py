"""MkDocs plugins that adapt ``indexer`` to a mkdocs-material site."""
