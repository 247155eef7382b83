"""``.ci/run`` runs the README's two set-up commands verbatim, read from the README itself."""

import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
DEMO = "pip install . && snnlite demo"
TESTS = 'pip install -e ".[test]" && SNNLITE_DATA=../shared/data python -m pytest'


def _printed(checkout: Path) -> subprocess.CompletedProcess:
    return subprocess.run(["bash", str(checkout / ".ci" / "run"), "--print"],
                          capture_output=True, text=True)


def test_readme_set_up_section_has_the_two_commands_in_order():
    text = (REPO / "README.md").read_text()
    section = text[text.index("## Set-up"):]
    section = section[:section.index("\n## ", 1)]
    assert f"```bash\n{DEMO}\n```" in section and f"```bash\n{TESTS}\n```" in section
    assert section.index(DEMO) < section.index(TESTS)


def test_ci_runs_exactly_the_readme_commands():
    done = _printed(REPO)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [DEMO, TESTS]


def _checkout_with_readme(tmp_path: Path, readme: str) -> Path:
    (tmp_path / ".ci").mkdir()
    shutil.copy(REPO / ".ci" / "run", tmp_path / ".ci" / "run")
    (tmp_path / "README.md").write_text(readme)
    return tmp_path


def test_ci_follows_an_edited_readme(tmp_path):
    # the commands come from the README, not from a copy inside .ci/run
    readme = (REPO / "README.md").read_text().replace(DEMO, "pip install . && snnlite info")
    done = _printed(_checkout_with_readme(tmp_path, readme))
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["pip install . && snnlite info", TESTS]


@pytest.mark.parametrize("readme", [
    "# x\n\n## Set-up\n\n```bash\npip install .\n```\n\n## Tour\n",
    "# x\n\n## Install\n\n```bash\na\n```\n\n```bash\nb\n```\n",
    "# x\n\n## Set-up\n\n```bash\na\nb\n```\n\n```bash\nc\n```\n",
])
def test_ci_refuses_a_readme_without_two_one_line_commands(tmp_path, readme):
    done = _printed(_checkout_with_readme(tmp_path, readme))
    assert done.returncode != 0 and "Set-up section must hold exactly two" in done.stderr
    assert done.stdout == ""
