"""Load shape 'steady': `users` for `duration` seconds.

Run: locust -f loadtests/locustfile.py,loadtests/shapes/steady.py --shape-users 10 --shape-peak 50
(see loadtests/shapes/_shape.py for every option and its environment variable).
"""

from __future__ import annotations

from _shape import HarnessShape
from timeline import steady


class SteadyShape(HarnessShape):
    timeline = staticmethod(steady)
