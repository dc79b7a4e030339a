"""Every limit on what the server computes for its visitors, in one place.

The core says what a network costs and fits it within the limits it is given
(core.experiments.budget.fit for a view, core.train.fit_budget for a training request);
which limits is this server's policy, set here and read by the code that asks: the
sidebar (ui.controls), the comparison views (ui.cache), the Training page
(ui.training_request), the server's ledger of training memory (ui.training_ledger) and
its count of running scripts (ui.load). Each limit names the benchmark that holds it;
docs/performance.md has their current figures. No Streamlit here.

Not here, because they are not the server's to choose: NetworkSpec's memory guard
(core.spec.MAX_RUN_BYTES), which refuses a run past 4 GiB anywhere, a notebook's too;
the compute processes and slots (ui.cpus, ui.compute), which follow the CPUs.

>>> SIDEBAR_BUSY.values < VIEW.values < SIDEBAR.values
True
"""

from __future__ import annotations

from dataclasses import replace

from core.experiments.budget import Limits

# -- one page's computation: the sidebar's network, and a view's comparison -------------
# Sized so that the heaviest setting a link can ask of any page costs the server about
# 2 s and 300 MB at most (`python -m bench.visitor` runs the heaviest link of each page),
# and an ordinary new setting costs every page about the same CPU (`python -m
# bench.server`, docs/performance.md "What a new setting costs the server"). Weights are
# drawn in float64: 8 bytes each, 16 while they are drawn.

# The sidebar's one network, which a page runs once per setting.
SIDEBAR = Limits(weights=1.6e7, macs=1.5e9, values=6e6, held=6e6)
# The same while the server is busy (more than BUSY_SCRIPTS scripts run): a new setting
# runs this light first and catches up once the rush is over (ui.shell), so a class's
# burst of first pages waits on no one's heavy setting (`python -m bench.load
# --start-server --burst --sessions 20 --seconds 20`).
SIDEBAR_BUSY = replace(SIDEBAR, values=4e5, held=4e5)
# A comparison view's runs all together (every init scheme, six norms, the seed band).
VIEW = Limits(weights=4e7, macs=3e9, values=1.8e6, held=4e6)
# A comparison that runs forward only (batch dependence, train against eval mode): no
# backward pass and no histograms, so many more values in the same time.
FORWARD_VIEW = replace(VIEW, values=2.4e7)

# -- the server: how busy, and how much training ------------------------------------------
# Scripts running at once beyond which a new setting runs light (SIDEBAR_BUSY). With the
# computing in ui.compute's processes, a dozen scripts ahead is a wait near a second: the
# point where a lighter answer first is worth its catch-up rerun. Fewer, and a class at
# an ordinary pace gets catch-up reruns that replace a download's link while it is
# fetched (`python -m bench.load --start-server --sessions 30 --seconds 60` counts those
# as errors).
BUSY_SCRIPTS = 12
# One training request (every run of it together) trains at most this many multiply-adds
# (core.train.train_macs): about two default runs, 10 layers of 100 at batch 32 for 2000
# steps. Heavier settings train fewer steps, and the page says so. How long the page
# takes: `python -m bench.browser_training`.
TRAIN_REQUEST_MACS = 1e11
# One training request holds at most this much memory while it trains
# (core.train.memory_bytes: every run's weights and optimizer state, one step's
# activations): a hosted server has 1-2.7 GB for every visitor together. Heavier
# settings train narrower or at smaller batches, and the page says so
# (`python -m bench.memory --training 3`, docs/performance.md "Memory").
TRAIN_REQUEST_BYTES = 256 * 2**20
# All training in progress on one server together holds at most this much
# (ui.training_ledger): a request alone still gets the whole TRAIN_REQUEST_BYTES, a
# second about what is left, and the rest of a 1 GB box stays with a class on the other
# pages. Held by `python -m bench.load --box 1024,2 --heavy-training 3 --sessions 30
# --seconds 60` (three visitors on the Training page's heaviest link beside a class of
# thirty, no OOM kill) and, shorter, tests/deploy/test_ceiling.py.
SERVER_TRAIN_BYTES = 384 * 2**20

# -- the Depth scales page's own computations ------------------------------------------------
# Sized so that each of its tabs costs a new setting about what the other pages' views
# cost (`python -m bench.pages --cpu --new 20 --tabs --pages variance,gradients,depth_scales`,
# docs/performance.md "Depth scales").
# A live trainability column (ui.live_column) trains at most this many multiply-adds:
# the stored 500-step grid's whole column of nine depths with one seed (2.5e11), about
# 12 s of one core here. It trains in slices of the one training slot, so it holds up
# no other page; visitors' columns take turns, and a finished one is kept for all.
# Longer grids' columns train fewer depths, spread from the shallowest to the deepest.
LIVE_COLUMN_MACS = 2.6e11
# The input-output Jacobian of both weight draws (core.experiments.jacobian.jacobian_flops).
JACOBIAN_FLOPS = 2e8
# Weights drawn for the finite-width spread, every draw together.
FINITE_WIDTH_WEIGHTS = 3e6
