"""Settings for the whole test session (imported before any test module)."""

import os

# JAX compiles a new random-number kernel for every weight shape it
# initializes. With the partitionable threefry variant (JAX's default since
# 0.5) XLA on CPU took about 3 s per new shape on our CI machines, against
# 0.4 s for the classic variant, and a deep CNN has dozens of kernel shapes
# (GoogLeNet: 150 s to build, against 1.3 s on TensorFlow). The suite uses
# the classic variant. It changes only which random numbers JAX draws, and no
# test compares against stored draws. Set before Keras imports JAX; the
# subprocesses of the crash tests inherit it.
os.environ.setdefault("JAX_THREEFRY_PARTITIONABLE", "false")
