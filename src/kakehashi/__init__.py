"""kakehashi (架け橋): evidence for a national strategy of international
cooperation in science and technology.

The public Python API is small: open a store, compute an indicator.

>>> import kakehashi
>>> kakehashi.__version__  # doctest: +ELLIPSIS
'...'
"""

from kakehashi._version import __version__

__all__ = ["__version__"]
