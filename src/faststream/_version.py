"""faststream's name, one-line description and version (the single source of the version)."""

__title__ = "faststream"
__description__ = "An HTTP client with httpx's API and a Cython-compiled streaming core."
__version__ = "0.1.0.dev0"
