"""Reference assemblies: primary contigs, their lengths and naming.

Only the primary chromosomes (1-22, X, Y, MT) are kept by goe; GDI nodes
cannot ingest anything else. Contigs may be named ``chr1`` or ``1``,
``chrM``/``chrMT``/``M``/``MT``; :func:`canonical_contig` maps either style
to the canonical name used internally (``1``..``22``, ``X``, ``Y``, ``MT``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from goe.errors import AssemblyError

PRIMARY = tuple([str(i) for i in range(1, 23)] + ["X", "Y", "MT"])

_GRCH38_LENGTHS = (
    248956422, 242193529, 198295559, 190214555, 181538259, 170805979, 159345973,
    145138636, 138394717, 133797422, 135086622, 133275309, 114364328, 107043718,
    101991189, 90338345, 83257441, 80373285, 58617616, 64444167, 46709983,
    50818468, 156040895, 57227415, 16569,
)
_GRCH37_LENGTHS = (
    249250621, 243199373, 198022430, 191154276, 180915260, 171115067, 159138663,
    146364022, 141213431, 135534747, 135006516, 133851895, 115169878, 107349540,
    102531392, 90354753, 81195210, 78077248, 59128983, 63025520, 48129895,
    51304566, 155270560, 59373566, 16569,
)


@dataclass(frozen=True)
class Assembly:
    """A reference assembly: lengths of the primary contigs and the PARs (1-based, inclusive)."""

    name: str
    lengths: dict[str, int]
    par_x: tuple[tuple[int, int], ...]
    par_y: tuple[tuple[int, int], ...]


ASSEMBLIES: dict[str, Assembly] = {
    "GRCh38": Assembly(
        "GRCh38",
        dict(zip(PRIMARY, _GRCH38_LENGTHS, strict=True)),
        ((10001, 2781479), (155701383, 156030895)),
        ((10001, 2781479), (56887903, 57217415)),
    ),
    "GRCh37": Assembly(
        "GRCh37",
        dict(zip(PRIMARY, _GRCH37_LENGTHS, strict=True)),
        ((60001, 2699520), (154931044, 155260560)),
        ((10001, 2649520), (59034050, 59363566)),
    ),
}

_ALIASES = {"hg38": "GRCh38", "grch38": "GRCh38", "hg19": "GRCh37", "grch37": "GRCh37"}


def get_assembly(name: str) -> Assembly:
    """Return the assembly called ``name`` (GRCh38, GRCh37; hg38/hg19 accepted)."""
    key = _ALIASES.get(name.lower(), name)
    if key not in ASSEMBLIES:
        raise AssemblyError(
            f"unknown assembly '{name}'", hint="use --assembly GRCh38 or --assembly GRCh37"
        )
    return ASSEMBLIES[key]


def canonical_contig(name: str) -> str | None:
    """Map a contig name to ``1``..``22``/``X``/``Y``/``MT``; ``None`` if not primary."""
    base = name[3:] if name[:3].lower() == "chr" else name
    if base in ("M", "MT", "m", "mt"):
        return "MT"
    if base in ("x", "y"):
        base = base.upper()
    return base if base in PRIMARY else None


def check_contig_lengths(assembly: Assembly, header_lengths: dict[str, int | None], source: str) -> None:
    """Fail when a primary contig's length in the VCF header contradicts the assembly."""
    other = [a for a in ASSEMBLIES.values() if a.name != assembly.name]
    for name, length in header_lengths.items():
        canon = canonical_contig(name)
        if canon is None or length is None:
            continue
        expected = assembly.lengths[canon]
        # hg19's chrM (16571 bp) is a different mitochondrial sequence; tolerate it.
        if length != expected and not (canon == "MT" and length == 16571):
            match = [a.name for a in other if a.lengths[canon] == length]
            hint = (
                f"it looks like {match[0]}: rerun with --assembly {match[0]}"
                if match
                else "check that the VCF was called against " + assembly.name
            )
            raise AssemblyError(
                f"{source}: contig {name} has length {length:,} in the VCF header, "
                f"but {expected:,} in {assembly.name}",
                hint=hint,
            )


def contig_namer(names: Iterable[str]) -> Callable[[str], str]:
    """Name canonical contigs the way ``names`` (a VCF's contigs) do: ``chr1``/``chrM`` or ``1``/``MT``."""
    known = {canonical_contig(n): n for n in names if canonical_contig(n) is not None}
    chr_style = any(n.lower().startswith("chr") for n in known.values())

    def name(canon: str) -> str:
        if canon in known:
            return known[canon]
        if chr_style:
            return "chrM" if canon == "MT" else f"chr{canon}"
        return canon

    return name
