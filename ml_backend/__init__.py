"""The ML backend: pre-annotates crops, retrains on every label, serves the most uncertain task first."""
import os

# PyTorch's OpenMP threads spin while they wait for work unless told otherwise, and read this
# once, when torch is first imported (here: by a module of this package). Beside Label Studio
# and other processes on the same cores, spinning threads take turns with the ones doing the
# work: on 2 shared cores, 200 crops took 20.2 s to embed spinning and 5.6 s passive
# (docs/scale_benchmark.md). A value set in the environment wins.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
