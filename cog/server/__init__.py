"""`cog.server`: where Cog keeps its launcher; `python -m cog.server.http` starts our server."""
