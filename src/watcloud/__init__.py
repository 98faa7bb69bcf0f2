"""WATcloud tools: one distribution, one command (`watcloud`), one package per tool."""

__version__ = "0.1.0"
