"""The ``yokoten/cases`` MkDocs plugin: case pages, browse pages, the home map and open-data exports."""
