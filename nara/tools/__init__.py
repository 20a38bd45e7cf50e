"""Developer tools for a source checkout (``python -m nara.tools.<name>``); not used at run time."""
