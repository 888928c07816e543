"""Build the two C hot paths and bundle the guideline profiles (metadata lives in pyproject.toml).

The extensions are optional: without a C compiler goe installs and runs on the
cyvcf2 reader and the Python counting and formatting, only slower
(tests/test_fastpath.py::test_native_modules_are_built says which you have).
"""

import shutil
from pathlib import Path

from setuptools import Extension, setup
from setuptools.command.build_py import build_py

FLAGS = ["-O3", "-std=c99", "-Wall"]


class BuildWithGuidelines(build_py):
    """Copy guidelines/*.toml into the wheel as goe/_guidelines (editable installs read the repo folder)."""

    def run(self) -> None:
        super().run()
        src = Path(__file__).parent / "guidelines"
        dest = Path(self.build_lib) / "goe" / "_guidelines"
        if src.is_dir() and not self.editable_mode:
            dest.mkdir(parents=True, exist_ok=True)
            for f in src.iterdir():
                if f.is_file():
                    shutil.copy2(f, dest / f.name)


setup(
    ext_modules=[
        Extension("goe.vcf._textvcf", ["goe/vcf/_textvcf.c"], extra_compile_args=FLAGS, optional=True),
        Extension("goe.freq._fastfreq", ["goe/freq/_fastfreq.c"], extra_compile_args=FLAGS, optional=True),
    ],
    cmdclass={"build_py": BuildWithGuidelines},
)
