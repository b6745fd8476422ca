"""Load shape 'double_wave': two crests of `peak` at 25 % and 75 % of `duration`,
troughs of `users` in between.

Run: locust -f loadtests/locustfile.py,loadtests/shapes/double_wave.py \
       --shape-users 10 --shape-peak 50
(see loadtests/shapes/_shape.py for every option and its environment variable).
"""

from __future__ import annotations

from _shape import HarnessShape
from timeline import double_wave


class DoubleWaveShape(HarnessShape):
    timeline = staticmethod(double_wave)
