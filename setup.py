"""The build ships prompts/ and seeds/ inside the package, as ``assistant/_data/``.

They stay top-level folders in the source tree (the README, the tests and the evals name them
there); ``assistant.settings.bundled`` finds either copy. Everything else is in pyproject.toml.
"""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

DATA = ("prompts", "seeds")


class BuildWithData(build_py):
    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):  # an editable install reads the checkout
            return
        here = Path(__file__).resolve().parent
        for name in DATA:
            target = Path(self.build_lib) / "assistant" / "_data" / name
            shutil.copytree(here / name, target, dirs_exist_ok=True)


setup(cmdclass={"build_py": BuildWithData})
