#!/bin/sh
# Install the tools benchmarks/quality.py and speed.py compare against into the project's .venv (after the
# project itself: .venv/bin/pip install -e .). readability-lxml and jusText are installed without their declared
# dependencies, which are installed here directly: their "lxml[html-clean]" requirement trips pip's resolver when
# lxml's metadata lacks that extra (lxml 6 moved lxml.html.clean into the lxml_html_clean package).
set -e
PIP="${PIP:-.venv/bin/pip}"
"$PIP" install lxml_html_clean "chardet>=5.2,<6" "trafilatura>=2.0"
"$PIP" install --no-deps "readability-lxml>=0.8" "jusText>=3.0"
