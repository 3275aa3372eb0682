"""Scrapy project of ministry statements: spiders, site modules, settings, downloader middlewares, CLI."""

__version__ = "0.1.0"
