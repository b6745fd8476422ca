"""Load shape 'ramp': from `users` up to `peak` in a straight line over the first 80 %
of `duration`, then hold.

Run: locust -f loadtests/locustfile.py,loadtests/shapes/ramp.py --shape-users 10 --shape-peak 50
(see loadtests/shapes/_shape.py for every option and its environment variable).
"""

from __future__ import annotations

from _shape import HarnessShape
from timeline import ramp


class RampShape(HarnessShape):
    timeline = staticmethod(ramp)
