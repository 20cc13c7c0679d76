"""Client side of a prediction: parse `-i`/`--json` inputs against the model's OpenAPI schema,
talk to the model's HTTP server, and render the response (stdout, files) as Cog's CLI does.

Nothing here starts containers (that is `cog_py.docker.run`) or prints directly: functions take
the streams and a logger so the CLI decides where human messages go.
"""
