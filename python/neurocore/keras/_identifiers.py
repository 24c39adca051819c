"""Keras' ``get(identifier)`` and ``serialize(obj)`` for the objects a layer takes by name or as an object
(initializers, regularizers): a string name, an object, a class, a ``{"class_name", "config"}`` dict or a plain
callable."""

__all__ = []


class Configurable:
    """Objects that a layer's config holds (initializers, regularizers): rebuilt by ``from_config(config)`` =
    ``cls(**config)``, shown by their config."""

    def get_config(self):
        return {}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


def get_object(identifier, kind, base, by_name, classes, known_names):
    """The ``kind`` object ``identifier`` names: ``by_name[name]()`` for a string, ``classes[class_name]
    .from_config(config)`` for a dict, a fresh instance for a subclass of ``base``; objects and callables are
    returned as they are, None stays None."""
    if identifier is None:
        return None
    if isinstance(identifier, str):
        if identifier not in by_name:
            raise ValueError(f"Could not interpret {kind} identifier: {identifier!r}. Known names: {known_names}")
        return by_name[identifier]()
    if isinstance(identifier, dict):
        cls = classes.get(identifier.get("class_name"))
        if cls is None:
            raise ValueError(f"Could not interpret {kind} identifier: {identifier!r}; class_name must be one of "
                             f"{sorted(classes)}")
        return cls.from_config(identifier.get("config", {}))
    if isinstance(identifier, type) and issubclass(identifier, base):
        return identifier()
    if callable(identifier):
        return identifier
    raise ValueError(f"Could not interpret {kind} identifier: {identifier!r} (expected None, a name, a "
                     f"{base.__name__}, a config dict or a callable)")


def serialize_object(obj, kind, base):
    """``{"class_name": ..., "config": ...}`` of a ``base`` object (None stays None)."""
    if obj is None:
        return None
    if not isinstance(obj, base):
        raise TypeError(f"serialize: expected a keras {base.__name__}, got {type(obj).__name__}")
    return {"class_name": type(obj).__name__, "config": obj.get_config()}
