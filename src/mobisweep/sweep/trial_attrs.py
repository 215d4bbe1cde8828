"""Every attribute the sweeper writes on a trial, named once and prefixed ``mobisweep:``, as
``mobisweep.core.metrics`` names the figures. (The figures a trial measured, and those known
before training, go on it under their own names: ``mult_adds_M``, ``latency/median_ms``.)"""

from __future__ import annotations

# Where and how a trial ran.
WORKER = "mobisweep:worker"              # host:pid of the worker that claimed it
OUTPUT_DIR = "mobisweep:output_dir"      # its run folder
OVERRIDES = "mobisweep:overrides"        # the Hydra overrides it was launched with
RESULT_PATH = "mobisweep:result_path"    # the file its app wrote its figures to, if any
RESUMED_FROM = "mobisweep:resumed_from"  # the checkpoint it resumed from, if any

# How it ended, beside its state.
ERROR = "mobisweep:error"                # why it failed or was refused (one line)
SKIPPED = "mobisweep:skipped"            # why it was pruned or skipped over budget
REFUSED = "mobisweep:refused"            # its config was refused: retrying cannot help
INTERRUPTED = "mobisweep:interrupted"    # stopped by Ctrl-C: a retry does not count it a failure
PRUNED_AT = "mobisweep:pruned_at_epoch"

# Retries.
RETRY_OF = "mobisweep:retry_of"          # the trial number a queued retry re-runs
FAILURES = "mobisweep:failures"          # failures of the point before this attempt

# Its curve, one attribute an epoch (a stopping rule compares trials by them; a replay needs them).
CURVE = "mobisweep:top1@{}"              # validation top-1 after epoch {}
SECONDS = "mobisweep:seconds@{}"         # that epoch's wall seconds

# On the study and in the storage.
SEARCH_SPACE = "mobisweep:search_space"  # study: the space it was created with
HEARTBEAT = "mobisweep:heartbeat"        # trial system attribute: unix time of its last beat
