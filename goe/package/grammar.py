"""Read INFO names in the GDI population grammar: the parser the GDI readers apply.

:mod:`goe.package.gdi` WRITES names such as ``AC_FI_M_Het``; this module
READS any name the way a GDI node does, so ``goe check`` can tell what a node
will make of a sites VCF it did not write.

Grammar (the Rust node, ``gdi-dataset-tool build``): tokens split on ``_``;
the first is ``AF``, ``AC`` or ``AN``; then, in any order and at most one
each, a zygosity token ``Hom``/``Het``/``Hemi`` (``AC`` only), a two-letter
upper-case country code, and ``M``/``F``. ``XX`` and ``XY`` are gnomAD's
chromosomal-sex strata, not countries, and are refused as the node refuses
them. The population label is ``country_sex``, either part, or ``Total``.

The Python mini-node (``gdi-mini-node`` parquet-writer) reads a narrower
form: statistic, then country, then sex, then zygosity (``AC_FI_M_Het``).
:func:`canonical_id` gives that form, which both readers accept.

:func:`read_info_header` applies the grammar to a whole header's ``##INFO``
lines as the readers do (Number rules, populations, at most 512 of them).
"""

from __future__ import annotations

from dataclasses import dataclass

STATS = ("AF", "AC", "AN")
ZYGOSITIES = ("Hom", "Het", "Hemi")
SEXES = ("M", "F")
NOT_COUNTRIES = ("XX", "XY")
TOTAL = "Total"
MAX_POPULATIONS = 512
MAX_LABEL = 16  # characters of a population label


@dataclass(frozen=True)
class PopField:
    """One INFO name that parses in the GDI population grammar."""

    stat: str  # "AC" | "AN" | "AF"
    zygosity: str | None  # "Hom" | "Het" | "Hemi" (AC only)
    country: str | None  # two upper-case letters
    sex: str | None  # "M" | "F"
    zygosity_last: bool  # True when the zygosity token (if any) is the last token

    @property
    def label(self) -> str:
        """Population label: ``Total``, ``FI``, ``M`` or ``FI_M``."""
        parts = [p for p in (self.country, self.sex) if p]
        return "_".join(parts) if parts else TOTAL

    @property
    def metric(self) -> str:
        """The statistic with its zygosity: ``AF``, ``AC``, ``AN``, ``AC_Hom``, ``AC_Het``, ``AC_Hemi``."""
        return f"{self.stat}_{self.zygosity}" if self.zygosity else self.stat


def is_country(token: str) -> bool:
    """Two upper-case ASCII letters, other than the sex-chromosome strata XX/XY."""
    return len(token) == 2 and token.isascii() and token.isalpha() and token.isupper() and token not in NOT_COUNTRIES


def parse_info_id(info_id: str) -> PopField | None:
    """Parse one INFO ID as a GDI node does; ``None`` when the node would not read it.

    >>> parse_info_id("AC_FI_M_Het").label
    'FI_M'
    >>> parse_info_id("AF_nfe") is None
    True
    """
    tokens = info_id.split("_")
    stat, rest = tokens[0], tokens[1:]
    if stat not in STATS:
        return None
    zygosity = country = sex = None
    zyg_at = -1
    for i, tok in enumerate(rest):
        if tok in ZYGOSITIES:
            if zygosity is not None:
                return None
            zygosity, zyg_at = tok, i
        elif is_country(tok):
            if country is not None:
                return None
            country = tok
        elif tok in SEXES:
            if sex is not None:
                return None
            sex = tok
        else:
            return None
    if zygosity is not None and stat != "AC":
        return None
    return PopField(stat, zygosity, country, sex, zygosity is None or zyg_at == len(rest) - 1)


def canonical_id(field: PopField) -> str:
    """The INFO ID both GDI readers accept: statistic, country, sex, zygosity (``AC_FI_M_Het``)."""
    return "_".join(p for p in (field.stat, field.country, field.sex, field.zygosity) if p)


def looks_like_pop_field(info_id: str) -> bool:
    """True when any ``_`` token is AF/AC/AN: a name meant as a frequency field (``AF_nfe``, ``EUR_AF``).

    The GDI node warns about exactly these when they do not parse; other INFO
    fields (DP, MQ, NS, HWE) it skips silently.
    """
    return any(tok in STATS for tok in info_id.split("_"))


def rejection_reason(info_id: str) -> str | None:
    """Why :func:`parse_info_id` refuses ``info_id``, in words a provider can act on; ``None`` if it parses."""
    if parse_info_id(info_id) is not None:
        return None
    tokens = info_id.split("_")
    stat, rest = tokens[0], tokens[1:]
    if stat not in STATS:
        if looks_like_pop_field(info_id):
            return "the statistic is not the first token (the grammar is AF_<population>, not <population>_AF)"
        return "the first token is not AF, AC or AN"
    kinds: dict[str, int] = {"zygosity": 0, "country": 0, "sex": 0}
    for tok in rest:
        if tok in ZYGOSITIES:
            kinds["zygosity"] += 1
        elif is_country(tok):
            kinds["country"] += 1
        elif tok in SEXES:
            kinds["sex"] += 1
        elif tok in NOT_COUNTRIES:
            return f"'{tok}' is a chromosomal-sex stratum, not a country code (use M or F)"
        elif tok.lower() in ("hom", "het", "hemi"):
            return f"'{tok}' must be spelled {tok.capitalize()}"
        elif tok and tok.isascii() and tok.isalpha() and tok.islower():
            return f"'{tok}' is lower case; a population token is a two-letter upper-case country code or M/F"
        elif tok and tok.isascii() and tok.isalpha() and tok.isupper() and len(tok) >= 3:
            return f"'{tok}' has {len(tok)} letters; a country code has exactly two"
        else:
            return f"'{tok}' is not a two-letter upper-case country code, M/F or Hom/Het/Hemi"
    for kind, n in kinds.items():
        if n > 1:
            return f"{n} {kind} tokens; at most one is allowed"
    zyg = next(tok for tok in rest if tok in ZYGOSITIES)
    return f"a zygosity token ({zyg}) on {stat}; only AC carries one"


@dataclass(frozen=True)
class Finding:
    """One thing a GDI reader objects to in the INFO declarations; ``line`` 0 is the header as a whole."""

    line: int
    severity: str  # "error" | "warning"
    kind: str
    message: str


@dataclass
class InfoHeader:
    """What a GDI reader makes of a header's ``##INFO`` lines."""

    populations: dict[str, dict[str, str]]  # label -> metric (AF, AC, AN, AC_Hom, ...) -> INFO ID; AF always there
    findings: list[Finding]


def read_info_header(decls: list[tuple[int, str, str]]) -> InfoHeader:
    """Read ``(line, ID, Number)`` of each ``##INFO`` line the way the GDI readers do.

    Finds: names that look like frequency fields but do not parse; AF/AC not
    Number=A; AN fields not Number=1/A or mixing the two; names only the Rust
    node reads (zygosity not last, sex before country); two names for one
    statistic; populations without AF; no AF at all; more than 512
    populations; labels over 16 characters.
    """
    found: list[Finding] = []
    pops: dict[str, dict[str, str]] = {}
    an_numbers: dict[str, list[str]] = {}
    extras: list[str] = []
    for line, fid, number in decls:
        pf = parse_info_id(fid)
        if pf is None:
            if fid.startswith("goe_") and looks_like_pop_field(fid):
                extras.append(fid)
            elif looks_like_pop_field(fid):
                found.append(Finding(line, "warning", "info-unread", f"INFO {fid} is not in the GDI population "
                                     f"grammar ({rejection_reason(fid)}): GDI will not read it"))
            continue
        if pf.stat == "AN" and number not in ("1", "A"):
            found.append(Finding(line, "error", "info-number",
                                 f"INFO {fid} has Number={number}, but an AN field must be Number=1 or Number=A"))
        elif pf.stat != "AN" and number != "A":
            found.append(Finding(line, "error", "info-number",
                                 f"INFO {fid} has Number={number}, but GDI needs Number=A (one value per ALT allele)"))
        if pf.stat == "AN":
            an_numbers.setdefault(number, []).append(fid)
        canon = canonical_id(pf)
        if fid != canon:
            why = "the zygosity token must be last" if not pf.zygosity_last else "the country must come before the sex"
            found.append(Finding(line, "warning", "info-order", f"INFO {fid}: the GDI node reads it, but the Python "
                                 f"mini-node ignores it ({why}): write {canon}"))
        if len(pf.label) > MAX_LABEL:
            found.append(Finding(line, "error", "label", f"population label {pf.label} is longer than {MAX_LABEL}"))
        slot = pops.setdefault(pf.label, {})
        if pf.metric in slot:
            found.append(Finding(line, "warning", "info-duplicate", f"INFO {fid} and {slot[pf.metric]} are the same "
                                 f"statistic for population {pf.label}: GDI keeps whichever comes last; remove one"))
        slot[pf.metric] = fid
    if extras:
        found.append(Finding(0, "warning", "info-extra", f"{len(extras)} goe_ extra-stratum fields (e.g. {extras[0]})"
                             " are outside the GDI grammar by design: GDI will not read them"))
    if "1" in an_numbers and "A" in an_numbers:
        found.append(Finding(0, "error", "info-number", f"AN fields mix Number=1 ({', '.join(an_numbers['1'][:3])}) "
                             f"and Number=A ({', '.join(an_numbers['A'][:3])}): GDI needs all AN fields alike"))
    with_af = {label: ids for label, ids in pops.items() if "AF" in ids}
    if not with_af:
        found.append(Finding(0, "error", "no-af", "no AF INFO field in the GDI grammar: GDI has nothing to read"))
    unread = sum(f.kind == "info-unread" for f in found)
    if unread and list(with_af) == [TOTAL]:
        found.append(Finding(0, "warning", "total-only", f"only the Total population is readable ({unread} "
                             "frequency-like INFO fields are not): GDI will publish no per-population frequencies"))
    for label, ids in pops.items():
        if with_af and "AF" not in ids:
            found.append(Finding(0, "error", "no-af", f"population {label} has {', '.join(ids.values())} but no AF "
                                 "field: the Python mini-node halts on it and the GDI node serves no row for it"))
    if len(with_af) > MAX_POPULATIONS:
        found.append(Finding(0, "error", "populations",
                             f"{len(with_af)} populations, but GDI accepts at most {MAX_POPULATIONS}"))
    return InfoHeader(with_af, found)
