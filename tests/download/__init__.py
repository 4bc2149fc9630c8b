"""Tests: downloads to files (Client.download, AsyncClient.download, faststream.download)."""
