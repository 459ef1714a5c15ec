"""The chaos soak (soak.py) as a test: `ctest -L soak` runs it for SOAK_MINUTES (default 3)
with SOAK_SEED (default: a random seed, printed first, so that a failure can be replayed with
`soak.py --seed S`). Its summary goes to stdout and to $SOAK_FIGURES if set."""

from __future__ import annotations

import os
import random
import shutil
import tempfile

import pytest

import soak
from fakekube.kubectl import kubectl_available


# As in the end-to-end suite: skipped without kubectl, except where PFD_REQUIRE_KUBECTL=1 (CI).
if os.environ.get("PFD_REQUIRE_KUBECTL") == "1" and not kubectl_available():
    raise pytest.UsageError("PFD_REQUIRE_KUBECTL=1 but no kubectl on PATH (and PFD_KUBECTL not set)")


@pytest.mark.skipif(not kubectl_available(), reason="no kubectl on PATH (and PFD_KUBECTL not set)")
def test_forwards_survive_random_faults_and_every_invariant_holds():
    minutes = float(os.environ.get("SOAK_MINUTES", "3"))
    seed_text = os.environ.get("SOAK_SEED", "")
    seed = int(seed_text) if seed_text else random.SystemRandom().randrange(1 << 31)
    workdir = tempfile.mkdtemp(prefix="soak-", dir="/tmp")
    run = soak.Soak(minutes, seed, pause=0.1, max_concurrent=3, workdir=workdir)
    ok = run.run()
    figures = os.environ.get("SOAK_FIGURES")
    if figures:
        os.makedirs(os.path.dirname(figures) or ".", exist_ok=True)
        with open(figures, "w") as out:
            out.write(run.summary_text + "\n")
    if ok:
        shutil.rmtree(workdir, ignore_errors=True)
        return
    log_path = run.save_log()
    raise AssertionError(f"soak seed {seed}: {len(run.violations)} violation(s); replay with "
                         f"`soak.py --minutes {minutes} --seed {seed}`; pfd's log: {log_path}\n"
                         + "\n".join(run.violations[:20]))
