"""Print the requirements of skbnn and the extras named, one per line.

``python3 .ci/requirements.py test docs`` prints what ``pip install -e
".[test,docs]"`` would install besides skbnn itself (an extra that names
``skbnn[...]`` brings that extra's requirements), so that CI can install an
environment's dependencies before the README's command installs skbnn.
"""

import re
import sys
import tomllib
from pathlib import Path

project = tomllib.loads(Path("pyproject.toml").read_text())["project"]
extras = project["optional-dependencies"]
own_extras = re.compile(rf"{re.escape(project['name'])}\[([\w,-]+)\]")


def expand(requirements, seen):
    """Yield ``requirements``, each ``skbnn[extra]`` replaced by the extra's."""
    for requirement in requirements:
        match = own_extras.fullmatch(requirement.replace(" ", ""))
        if match is None:
            yield requirement
            continue
        for extra in match.group(1).split(","):
            if extra not in seen:
                seen.add(extra)
                yield from expand(extras[extra], seen)


unknown = set(sys.argv[1:]) - extras.keys()
if unknown:
    sys.exit(f"no such extra: {', '.join(sorted(unknown))}")
wanted = [*project["dependencies"], *(f"{project['name']}[{e}]" for e in sys.argv[1:])]
print("\n".join(dict.fromkeys(expand(wanted, set()))))
