"""Scrapy commands of this project (`COMMANDS_MODULE`): `crawl` is Scrapy's, with an exit status that says how the
run went."""
