"""Print the Python code of README.md's "Quickstart" section (its first ```python block).

.ci/run runs that code in a clean virtualenv where only the wheel is installed, so the README's example is
what gets tested: there is no second copy to drift from it. Exits 1 when the section or its code block is
missing.

    python .ci/readme_quickstart.py README.md > quickstart.py
"""
import re
import sys


def quickstart_code(markdown: str) -> str:
    section = re.search(r"^## Quickstart\s*$(.*?)(?=^## |\Z)", markdown, re.M | re.S)
    if not section:
        raise ValueError("README.md has no '## Quickstart' section")
    block = re.search(r"^```python\s*\n(.*?)^```", section.group(1), re.M | re.S)
    if not block:
        raise ValueError("the Quickstart section of README.md has no ```python code block")
    return block.group(1)


def main(argv):
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    with open(argv[1], encoding="utf-8") as f:
        text = f.read()
    try:
        sys.stdout.write(quickstart_code(text))
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
