"""The statements database as a library: schema, writer, index upkeep, run log, search, export, stats, reparse,
translation links, and the `statements` command (`statements.cli`), a thin click layer on top.

Item pipelines (`pipelines`) hand statements to it; spiders, the CLI and the Datasette plugin read it.
"""
