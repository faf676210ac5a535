# Two commands do all the set-up on a fresh machine:
#   make run    install, build the index of the demo articles, serve the chat on 127.0.0.1:7860
#   make test   install (with test tools and Debian's chromium) and run every test (plain pytest: the fast lane)
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
INDEX_DIR ?= index-data
CHROMIUM := /usr/bin/chromium
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: run test install demo-index serve bench clean

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	# torch is pinned in the same command, so nothing can pull a CUDA build
	$(BIN)/pip install --quiet -c constraints.txt torch==2.13.0 -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

demo-index: install
	$(BIN)/qa ingest --quiet --index-dir $(INDEX_DIR) demo/articles

serve: install
	$(BIN)/qa serve --index-dir $(INDEX_DIR)

run: demo-index serve

# the browser tests drive Debian's Chromium (no browser download at test time)
$(CHROMIUM):
	$(SUDO) apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium >/dev/null

test: install $(CHROMIUM)
	$(BIN)/python -m pytest -m ""

bench: install
	$(BIN)/python bench/speed.py

clean:
	rm -rf $(VENV) $(INDEX_DIR) .pytest_cache
