"""Build hook only; the project's metadata is in pyproject.toml.

setuptools copies the package into ``build/lib`` and never removes what is no longer in ``src``: a model version
bundled by an earlier build (``bundled/registry/relevance/<old>``) or a deleted module would ride along in every
later wheel built from the same checkout. ``build_py`` here starts from an empty ``build/lib/brandfit``.
"""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py


class CleanBuildPy(build_py):
    def run(self):
        shutil.rmtree(Path(self.build_lib) / "brandfit", ignore_errors=True)
        super().run()


setup(cmdclass={"build_py": CleanBuildPy})
