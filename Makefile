# goe — the two set-up commands are `make demo` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
DEMO   ?= demo-output

.PHONY: demo test lint tools install install-test bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e .
	@touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[test]'
	@touch $@ $(VENV)/.installed

install: $(VENV)/.installed

install-test: $(VENV)/.installed-test

## demo: install, run the whole chain on examples/, print where the outputs are
demo: install
	@rm -rf $(DEMO) && mkdir -p $(DEMO)
	$(BIN)/goe qc examples/cohort/eur_chr20.vcf.gz --samples examples/cohort/samples.tsv \
		--assembly GRCh37 --out $(DEMO)/qc
	$(BIN)/goe freq examples/cohort/eur_chr20.vcf.gz --samples examples/cohort/samples.tsv \
		--assembly GRCh37 --keep $(DEMO)/qc/pass_samples.txt --out $(DEMO)/freq
	@# Each country's own package (its QC-passed samples), then the European reference.
	@for c in FI GB ES; do \
		awk 'NR==FNR {pass[$$1]; next} ($$1 in pass)' $(DEMO)/qc/pass_samples.txt examples/cohort/$$c.txt \
			> $(DEMO)/keep_$$c.txt; \
		$(BIN)/goe freq examples/cohort/eur_chr20.vcf.gz --samples examples/cohort/samples.tsv --assembly GRCh37 \
			--country $$c --keep $(DEMO)/keep_$$c.txt --out $(DEMO)/national/$$c --quiet > /dev/null || exit 1; \
	done
	$(BIN)/goe merge $(DEMO)/national/FI $(DEMO)/national/GB $(DEMO)/national/ES --out $(DEMO)/europe
	$(BIN)/goe check $(DEMO)/europe
	@echo
	@echo "Outputs:"
	@echo "  $(DEMO)/qc/report.html            QC report (open in a browser; holds sample IDs)"
	@echo "  $(DEMO)/qc/samples.tsv            status, reasons and metrics per sample"
	@echo "  $(DEMO)/qc/pass_samples.txt       the samples fed to goe freq --keep"
	@echo "  $(DEMO)/qc/summary.json           aggregates only (shareable)"
	@echo "  $(DEMO)/freq/sites.vcf.gz         sites-only VCF in the GDI population grammar (+ .tbi)"
	@echo "  $(DEMO)/freq/frequencies.parquet  one row per allele and population"
	@echo "  $(DEMO)/freq/manifest.json        counts, parameters, sha256 of every file"
	@echo "  $(DEMO)/national/{FI,GB,ES}/      one package per country (what each country shares)"
	@echo "  $(DEMO)/europe/                   the merged European reference (same layout)"

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

clean:
	rm -rf $(VENV) $(DEMO) .pytest_cache .mypy_cache .ruff_cache
