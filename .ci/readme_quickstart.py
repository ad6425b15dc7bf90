"""Print the Python code block under the README's "## Quickstart" heading."""

import re
import sys
from pathlib import Path

text = Path(sys.argv[1]).read_text()
section = text.split("## Quickstart", 1)[1]
match = re.search(r"```python\n(.*?)```", section, re.DOTALL)
if match is None:
    sys.exit("no python code block under '## Quickstart'")
print(match.group(1))
