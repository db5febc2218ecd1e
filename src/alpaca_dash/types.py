"""Type aliases shared by every layer."""

from __future__ import annotations

from typing import Any, TypeAlias

import numpy as np

#: a numpy array of any shape and dtype: a stored value, a column, an image
Array: TypeAlias = np.ndarray[Any, Any]
