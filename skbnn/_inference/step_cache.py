"""The compiled ADVI steps of a process, kept for the next fit of the same model."""

import threading


class StepCache:
    """Compiled ADVI steps by key, each lent to one fit at a time.

    A compiled step holds its variational state, so two fits running at once
    in one process (threads) get separate copies.
    """

    def __init__(self):
        self._free = {}
        self._lock = threading.Lock()

    def borrow(self, key, build):
        """Take a free step for ``key``, or build one with ``build()``."""
        with self._lock:
            free = self._free.get(key, [])
            if free:
                return free.pop()
        return build()

    def give_back(self, key, step):
        """Make ``step`` available to the next fit with the same ``key``."""
        with self._lock:
            self._free.setdefault(key, []).append(step)

    def __len__(self):
        """Return the number of compiled steps not lent out (all, between fits)."""
        with self._lock:
            return sum(len(steps) for steps in self._free.values())
