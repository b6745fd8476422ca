"""Load shape 'spike': `users`, then `peak` from 40 % to 60 % of `duration`, then `users` again.

Run: locust -f loadtests/locustfile.py,loadtests/shapes/spike.py --shape-users 10 --shape-peak 50
(see loadtests/shapes/_shape.py for every option and its environment variable).
"""

from __future__ import annotations

from _shape import HarnessShape
from timeline import spike


class SpikeShape(HarnessShape):
    timeline = staticmethod(spike)
