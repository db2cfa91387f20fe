"""One source of truth for dependency versions: requirements.txt, which environment.yml and the venv follow."""
import re
from importlib.metadata import version

from conftest import REPO


def pins():
    """{package: version} from requirements.txt."""
    lines = [line.split("#")[0].strip() for line in (REPO / "requirements.txt").read_text().splitlines()]
    return dict(line.split("==") for line in lines if line)


def test_every_requirement_is_pinned_and_torch_is_2_13_0():
    lines = [line.split("#")[0].strip() for line in (REPO / "requirements.txt").read_text().splitlines()]
    assert all(re.fullmatch(r"[A-Za-z0-9_.-]+==[0-9][A-Za-z0-9.+]*", line) for line in lines if line)
    assert pins()["torch"] == "2.13.0"
    for needed in ["jupyterlab", "nbgrader", "numpy", "matplotlib", "pytest"]:
        assert needed in pins()


def test_environment_yml_installs_requirements_txt_and_nothing_else_pinned():
    text = (REPO / "environment.yml").read_text()
    assert "- -r requirements.txt" in text
    assert not re.search(r"==", text), "versions belong in requirements.txt only"
    python = re.search(r"- python=(\d+)\.(\d+)", text)
    required = re.search(r'requires-python = ">=(\d+)\.(\d+)"', (REPO / "pyproject.toml").read_text())
    assert python and required and tuple(map(int, python.groups())) >= tuple(map(int, required.groups()))


def test_installed_versions_are_the_pinned_ones():
    for package, pinned in pins().items():
        assert version(package).split("+")[0] == pinned, f"{package} {version(package)} installed, {pinned} pinned"
