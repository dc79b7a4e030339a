"""Experiments built on the engine: each runs networks through `core.simulate` /
`core.propagate` and returns what one view of the app compares.

| module            | what it answers                                                  |
|-------------------|------------------------------------------------------------------|
| budget            | how far a comparison must shrink to stay live, and what it shrank |
| diagnose          | is a per-layer curve exploding, vanishing or stable? (all pages) |
| seeds             | the same network under other seeds: the finite-width band        |
| init_lineup       | the same network under every init scheme; PyTorch's gains        |
| norm_lineup       | the same network under every normalization; gamma and beta       |
| batch_dependence  | how much one example depends on its batchmates, per norm          |
| running_stats     | BatchNorm in eval mode after k batches of running statistics      |
| readout           | the loss at init against the readout scale ("confidently wrong") |
| correlation       | two inputs' correlation layer by layer: order and chaos          |
| jacobian          | the input-output Jacobian's singular values: dynamical isometry  |
| finite_width      | the output's size over draws of the weights (Hanin & Rolnick)    |
| trainability      | which depth x sigma_w2 trains on the Training page's task        |
| depth_scales      | the Depth scales page's numbers for one network, within a budget |

The engine never imports from here.
"""
