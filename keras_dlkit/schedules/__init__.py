"""Public `keras_dlkit.schedules` namespace: step-based learning-rate schedules.

Each is a serializable ``keras.optimizers.schedules.LearningRateSchedule``,
usable as any optimizer's ``learning_rate`` on tensorflow, jax and torch.
"""

from keras_dlkit.schedules.cyclical import CyclicalLearningRate
from keras_dlkit.schedules.inverse_sqrt import InverseSqrtDecay
from keras_dlkit.schedules.one_cycle import OneCycle
from keras_dlkit.schedules.warmup import Warmup

__all__: list[str] = [
    "CyclicalLearningRate",
    "InverseSqrtDecay",
    "OneCycle",
    "Warmup",
]
