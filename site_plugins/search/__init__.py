"""The ``yokoten/search`` MkDocs plugin: the browser search engine, its index, the search page and the header box."""
