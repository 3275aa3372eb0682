"""Spiders: a shared base (`base.StatementSpider`) and one thin spider per site and language."""
