# goe — the two set-up commands are `make demo` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
DEMO   ?= demo-output

.PHONY: demo test lint tools install install-test bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

# The C extensions are built by the install: a changed .c file reinstalls. Bytecode is compiled
# once here, so that runs (and each worker process) do not compile goe's modules again.
NATIVE := setup.py goe/vcf/_textvcf.c goe/freq/_fastfreq.c

$(VENV)/.installed: pyproject.toml $(NATIVE) | $(BIN)/python
	$(BIN)/pip install -q -e .
	$(BIN)/python -m compileall -q goe
	@touch $@

$(VENV)/.installed-test: pyproject.toml $(NATIVE) | $(BIN)/python
	$(BIN)/pip install -q -e '.[test]'
	$(BIN)/python -m compileall -q goe
	@touch $@ $(VENV)/.installed

install: $(VENV)/.installed

install-test: $(VENV)/.installed-test

## demo: install, run the whole chain on examples/ (examples/run.toml), print where the outputs are
demo: install
	@rm -rf $(DEMO) && mkdir -p $(DEMO)
	$(BIN)/goe run examples/run.toml
	$(BIN)/goe check $(DEMO)/run/europe
	@echo
	@echo "Outputs (examples/run.toml: for each country goe qc, then goe freq on its pass list; then goe merge):"
	@echo "  $(DEMO)/run/FI/qc/report.html        QC report (open in a browser; holds sample IDs)"
	@echo "  $(DEMO)/run/FI/qc/samples.tsv        status, reasons and metrics per sample"
	@echo "  $(DEMO)/run/FI/qc/summary.json       aggregates only (shareable)"
	@echo "  $(DEMO)/run/FI/freq/                 Finland's package: sites.vcf.gz (+ .tbi), frequencies.parquet,"
	@echo "                                         manifest.json (the same for GB and ES)"
	@echo "  $(DEMO)/run/europe/                  the merged European reference (same layout)"

## tools: bcftools, tabix and plink2 (apt-get, when missing and running as root)
tools:
	@sh .ci/install-tools.sh

## lint: ruff and mypy
lint: install-test
	$(BIN)/ruff check goe tests
	$(BIN)/mypy goe

## test: install with test extras, the reference tools, lint, then pytest
test: install-test tools lint
	$(BIN)/pytest

## bench: simulate cohorts, time goe freq against the bcftools recipe, +fill-tags and plink2 (benchmarks/README.md)
bench: install-test tools
	$(BIN)/python benchmarks/run.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) $(DEMO) .pytest_cache .mypy_cache .ruff_cache
