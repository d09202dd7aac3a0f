"""The kbgen mkdocs plugin: a thin adapter that hands the core's site model to mkdocs."""
