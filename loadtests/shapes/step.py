"""Load shape 'step': `steps` equal-length levels from `users` to `peak`.

Run: locust -f loadtests/locustfile.py,loadtests/shapes/step.py --shape-users 10 --shape-peak 50
(see loadtests/shapes/_shape.py for every option and its environment variable).
"""

from __future__ import annotations

from _shape import HarnessShape
from timeline import step


class StepShape(HarnessShape):
    timeline = staticmethod(step)
