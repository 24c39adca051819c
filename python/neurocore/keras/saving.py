"""Model files for nc.keras: ``save_model``/``load_model`` (architecture, weights and compile settings in one
file) and ``save_weights``/``load_weights`` (weights only).

A file is a zip archive (stored, fixed timestamps, so saving the same model twice gives the same bytes)::

    metadata.json       {"format": "neurocore.keras", "kind": "model" | "weights", "format_version": 1, ...}
    config.json         {"model": <serialized model>, "compile_config": <compile() arguments>}  (model files)
    weights.json        [{"name", "class_name", "shapes", "dtypes"}, ...]  one entry per layer of model.layers
    weights/<i>/<j>.npy layer i's j-th weight, in Keras order and layout (what layer.get_weights() returns)
    optimizer.json      the optimizer's state_dict() without its arrays (models compiled and trained)
    optimizer/<i>/<j>.npy  the j-th array of parameter i's optimizer state (Adam's moments, momentum buffers)

With the optimizer state, a loaded model continues training exactly where the saved one stopped.

No pickle anywhere: JSON for structure, .npy arrays whose headers are checked before reading. A class named in
a file is looked up only in ``custom_objects`` and in the ``__all__`` of nc.keras's own modules (layers, models,
initializers, regularizers, constraints, optimizers, losses, metrics); nothing is imported or evaluated by name.
A damaged, truncated or foreign file raises ValueError; files are written atomically (temporary file, fsync,
rename), so an interrupted save leaves the previous file as it was.

Serialized objects look like Keras' ``{"module": ..., "class_name": ..., "config": {...}}``; JSON has no tuples,
so tuples are written as ``{"class_name": "__tuple__", "config": {"value": [...]}}`` and come back as tuples;
functions as ``{"class_name": "__function__", "config": {"name", "module"}}`` (module only for functions that an
nc.keras module exports, such as activations.relu; others must be given in custom_objects when loading).

>>> import os, tempfile
>>> import numpy as np
>>> from neurocore.keras import Sequential, load_model
>>> from neurocore.keras.layers import Dense
>>> model = Sequential([Dense(3, activation="relu", input_shape=(4,)), Dense(1)])
>>> x = np.ones((2, 4), dtype=np.float32)
>>> with tempfile.TemporaryDirectory() as folder:
...     model.save(os.path.join(folder, "model.keras"))
...     restored = load_model(os.path.join(folder, "model.keras"))
>>> bool((restored.predict(x, verbose=0) == model.predict(x, verbose=0)).all())
True
"""
import importlib
import inspect
import json
import os
import types
import zipfile

import numpy as np

from ..serialization import atomic_write, npy_bytes, parse_npy, read_zip

__all__ = ["save_model", "load_model", "save_weights", "load_weights", "serialize_keras_object",
           "deserialize_keras_object"]

FORMAT = "neurocore.keras"
FORMAT_VERSION = 1

# Modules of nc.keras whose __all__ names the classes a file may refer to, in lookup order.
_MODULES = ("layers", "models", "initializers", "regularizers", "constraints", "optimizers", "losses", "metrics",
            "activations")
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)


# ---------------------------------------------------------------------------------------------- objects <-> configs

def _module(short_name):
    if short_name not in _MODULES:
        return None
    try:
        return importlib.import_module(f"neurocore.keras.{short_name}")
    except ImportError:  # a module another part of the project has not added yet
        return None


def _home_module(cls):
    """The nc.keras module (short name) that exports `cls` in its __all__, or None for a custom class."""
    for short in _MODULES:
        mod = _module(short)
        if mod is not None and cls.__name__ in getattr(mod, "__all__", ()) and \
                getattr(mod, cls.__name__, None) is cls:
            return short
    return None


def _function_home(fn):
    """The nc.keras module (short name) exporting function `fn` under its own name, or None."""
    for short in _MODULES:
        mod = _module(short)
        if mod is not None and fn.__name__ in getattr(mod, "__all__", ()) and getattr(mod, fn.__name__) is fn:
            return short
    return None


def _config_of(obj):
    if hasattr(obj, "get_config"):
        return obj.get_config()
    # Objects without get_config (losses): their constructor arguments, read back from equal-named attributes.
    config = {}
    for name, p in inspect.signature(type(obj).__init__).parameters.items():
        if name == "self" or p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            continue
        if not hasattr(obj, name):
            raise ValueError(f"cannot serialize {type(obj).__name__}: it has no get_config() and no attribute "
                             f"{name!r} matching its constructor argument")
        config[name] = getattr(obj, name)
    return config


def serialize_keras_object(obj, _path="config"):
    """A JSON-ready description of `obj`: plain values as they are, tuples and numpy arrays as marked dicts,
    objects as {"module", "class_name", "config"} (config from ``get_config()``), named functions by name.
    ValueError names the place (``_path``) of anything that cannot be described."""
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        if obj.dtype.hasobject:
            raise ValueError(f"cannot serialize {_path}: numpy array of dtype object")
        return {"class_name": "__numpy__", "config": {"value": obj.tolist(), "dtype": obj.dtype.str}}
    if isinstance(obj, tuple):
        return {"class_name": "__tuple__",
                "config": {"value": [serialize_keras_object(v, f"{_path}[{i}]") for i, v in enumerate(obj)]}}
    if isinstance(obj, list):
        return [serialize_keras_object(v, f"{_path}[{i}]") for i, v in enumerate(obj)]
    if isinstance(obj, dict):
        out = {}
        for k, v in obj.items():
            if not isinstance(k, str):
                raise ValueError(f"cannot serialize {_path}: dict key {k!r} is not a string")
            out[k] = serialize_keras_object(v, f"{_path}[{k!r}]")
        return out
    if isinstance(obj, (types.FunctionType, types.BuiltinFunctionType)):
        if obj.__name__ == "<lambda>":
            raise ValueError(f"cannot serialize {_path}: a lambda has no name to save; use a named function and "
                             "pass it to load_model in custom_objects")
        config = {"name": obj.__name__}
        home = _function_home(obj)
        if home is not None:
            config["module"] = home
        return {"class_name": "__function__", "config": config}
    if isinstance(obj, type):
        raise ValueError(f"cannot serialize {_path}: a class ({obj.__name__}) is not a value a file can hold")
    cls = type(obj)
    out = {"class_name": cls.__name__}
    home = _home_module(cls)
    if home is not None:
        out["module"] = home
    out["config"] = serialize_keras_object(_config_of(obj), f"{_path}<{cls.__name__}>")
    return out


def _is_object_config(value):
    return isinstance(value, dict) and "class_name" in value and "config" in value


def _lookup_class(class_name, module, custom_objects):
    if not isinstance(class_name, str):
        raise ValueError(f"class_name must be a string, got {class_name!r}")
    if custom_objects and class_name in custom_objects:
        return custom_objects[class_name]
    modules = _MODULES if module is None else (module,)
    if module is not None and module not in _MODULES:
        raise ValueError(f"unknown module {module!r} for class {class_name!r}; known: {list(_MODULES)}")
    for short in modules:
        mod = _module(short)
        if mod is not None and class_name in getattr(mod, "__all__", ()):
            found = getattr(mod, class_name, None)
            if isinstance(found, type):
                return found
    where = "nc.keras." + module if module else "the nc.keras modules"
    raise ValueError(f"Unknown class {class_name!r}: not found in {where}. If it is a custom class, pass it in "
                     f"custom_objects={{'{class_name}': {class_name}}}")


def _lookup_function(name, module, custom_objects):
    if custom_objects and callable(custom_objects.get(name)):
        return custom_objects[name]
    mod = _module(module) if isinstance(module, str) else None
    if mod is not None and isinstance(name, str) and name in getattr(mod, "__all__", ()):
        found = getattr(mod, name, None)
        if callable(found) and not isinstance(found, type):
            return found
    raise ValueError(f"Unknown function {name!r}: pass it to load_model in custom_objects={{'{name}': {name}}}")


def _takes_custom_objects(cls):
    from_config = getattr(cls, "from_config", None)
    if from_config is None:
        return False
    try:
        return "custom_objects" in inspect.signature(from_config).parameters
    except (TypeError, ValueError):
        return False


def deserialize_keras_object(config, custom_objects=None):
    """The inverse of ``serialize_keras_object``: rebuilds objects, tuples and arrays; passes objects that are
    already built through unchanged.

    For a class whose ``from_config`` accepts ``custom_objects`` (models, like Keras' Sequential.from_config), the
    config is handed over as it is (nested layer configs still dicts) together with ``custom_objects``; for every
    other class the nested objects are rebuilt first and ``cls.from_config(config)`` (or ``cls(**config)``) is
    called.
    """
    if isinstance(config, list):
        return [deserialize_keras_object(v, custom_objects) for v in config]
    if not isinstance(config, dict):
        return config
    if not _is_object_config(config):
        return {k: deserialize_keras_object(v, custom_objects) for k, v in config.items()}
    class_name, inner = config["class_name"], config["config"]
    if class_name == "__tuple__":
        return tuple(deserialize_keras_object(v, custom_objects) for v in inner["value"])
    if class_name == "__numpy__":
        dtype = np.dtype(inner["dtype"])
        if dtype.hasobject:
            raise ValueError("a __numpy__ value may not have dtype object")
        return np.array(inner["value"], dtype=dtype)
    if class_name == "__function__":
        return _lookup_function(inner.get("name"), inner.get("module"), custom_objects)
    cls = _lookup_class(class_name, config.get("module"), custom_objects)
    if not isinstance(inner, dict):
        raise ValueError(f"the config of a {class_name} must be a dict, got {type(inner).__name__}")
    if not isinstance(cls, type):  # a function given in custom_objects under a class name
        return cls
    if _takes_custom_objects(cls):
        return cls.from_config(_restore_plain(inner), custom_objects=custom_objects)
    inner = {k: deserialize_keras_object(v, custom_objects) for k, v in inner.items()}
    if hasattr(cls, "from_config"):
        return cls.from_config(inner)
    return cls(**inner)


def _restore_plain(value):
    """Tuples and arrays restored, object configs left as dicts (for from_config methods that rebuild them)."""
    if isinstance(value, list):
        return [_restore_plain(v) for v in value]
    if not isinstance(value, dict):
        return value
    if _is_object_config(value) and value["class_name"] in ("__tuple__", "__numpy__"):
        return deserialize_keras_object(value)
    return {k: _restore_plain(v) for k, v in value.items()}


# ---------------------------------------------------------------------------------------------- model <-> config

def _model_from_config(config, custom_objects):
    from .models import Model
    model = deserialize_keras_object(config, custom_objects)
    if not isinstance(model, Model):
        raise ValueError(f"config.json describes a {type(model).__name__}, not a model")
    return model


def _compile_config(model):
    """The arguments of the model's last compile(), serialized; None if not compiled (or compiled with an
    nc.optim optimizer, which is bound to the saved model's parameters and cannot be rebuilt)."""
    config = model.get_compile_config() if hasattr(model, "get_compile_config") else None
    return None if config is None else serialize_keras_object(config, "compile_config")


# ---------------------------------------------------------------------------------------------- weights

def _weight_owners(model):
    """(name, class_name, object with get_weights/set_weights) per layer; the whole model if its layers do not
    account for all of its weights."""
    layers = list(getattr(model, "layers", []))
    owners = [(l.name, type(l).__name__, l) for l in layers]
    if sum(len(l.get_weights()) for l in layers) != len(model.get_weights()):
        owners = [(getattr(model, "name", "model"), type(model).__name__, model)]
    return owners


def _weight_members(model):
    manifest, members = [], {}
    for i, (name, class_name, owner) in enumerate(_weight_owners(model)):
        weights = [np.asarray(w) for w in owner.get_weights()]
        manifest.append({"name": name, "class_name": class_name, "shapes": [list(w.shape) for w in weights],
                         "dtypes": [w.dtype.str for w in weights]})
        for j, w in enumerate(weights):
            members[f"weights/{i}/{j}.npy"] = w
    return manifest, members


def _check_built(model, what):
    if getattr(model, "built", True) is False:
        raise ValueError(f"{what}: model {getattr(model, 'name', '')!r} is not built yet, so it has no weights; "
                         "give it an input shape or call build(input_shape) first")


def _set_weights_from(model, manifest, arrays, path):
    """Check every layer's weight count and shapes against the file first, then assign (all or nothing)."""
    owners = _weight_owners(model)
    if len(owners) != len(manifest):
        raise ValueError(f"{path!r}: the file holds weights for {len(manifest)} layers "
                         f"({[e['name'] for e in manifest]}), the model has {len(owners)} "
                         f"({[o[0] for o in owners]})")
    plan = []
    for i, ((name, class_name, owner), entry) in enumerate(zip(owners, manifest)):
        expected = [tuple(np.shape(w)) for w in owner.get_weights()]
        found = [tuple(arrays[i][j].shape) for j in range(len(arrays[i]))]
        if class_name != entry["class_name"] or expected != found:
            raise ValueError(f"{path!r}: layer {i} {name!r} ({class_name}) expects weights of shapes {expected}, "
                             f"the file has {found} (saved from layer {entry['name']!r} ({entry['class_name']}))")
        plan.append((owner, arrays[i]))
    for owner, weights in plan:
        owner.set_weights(weights)


# ---------------------------------------------------------------------------------------------- optimizer state

def _optimizer_members(model):
    """The nc.optim state of a compiled, trained model: (JSON description, {member: array}); (None, {}) if none."""
    from .._core import Tensor
    opt = getattr(model, "optimizer", None)
    if opt is None or not hasattr(opt, "state_dict"):
        return None, {}
    saved = opt.state_dict()
    state, members = {}, {}
    for i, entry in saved["state"].items():
        packed = {}
        for j, (name, value) in enumerate(entry.items()):
            if isinstance(value, Tensor):
                member = f"optimizer/{i}/{j}.npy"
                members[member] = value.detach().contiguous().numpy()
                packed[name] = {"npy": member}
            else:
                packed[name] = value
        state[str(i)] = packed
    description = serialize_keras_object({"state": state, "param_groups": saved["param_groups"]}, "optimizer")
    return description, members


def _optimizer_state(description, members):
    """Rebuild a state_dict from ``optimizer.json`` and its arrays."""
    if not isinstance(description, dict) or not isinstance(description.get("state"), dict):
        raise ValueError("optimizer.json is malformed")
    state = {}
    for i, entry in description["state"].items():
        if not isinstance(entry, dict):
            raise ValueError("optimizer.json is malformed")
        restored = {}
        for name, value in entry.items():
            if isinstance(value, dict) and set(value) == {"npy"}:
                if value["npy"] not in members:
                    raise ValueError(f"member {value['npy']} is missing")
                value = parse_npy(members[value["npy"]], value["npy"])
            else:
                value = deserialize_keras_object(value)
            restored[name] = value
        state[int(i)] = restored
    return {"state": state, "param_groups": deserialize_keras_object(description.get("param_groups"))}


# ---------------------------------------------------------------------------------------------- files

def _write_file(path, entries, overwrite):
    """Write {member name: dict/list (JSON) or ndarray (.npy)} as one zip file, atomically."""
    path = os.fspath(path)
    if not overwrite and os.path.exists(path):
        raise FileExistsError(f"{path!r} exists and overwrite=False")
    payload = {}
    for name, value in entries.items():
        if isinstance(value, np.ndarray):
            payload[name] = value
        else:
            payload[name] = json.dumps(value, indent=1, allow_nan=True).encode("utf-8")

    def write(f):
        with zipfile.ZipFile(f, "w", compression=zipfile.ZIP_STORED) as zf:
            for name, value in payload.items():
                info = zipfile.ZipInfo(name, date_time=_ZIP_TIME)
                data = value if isinstance(value, bytes) else _npy(value)
                zf.writestr(info, data)

    atomic_write(path, write)


def _npy(array):
    return npy_bytes(array)


def _metadata(kind):
    import neurocore
    return {"format": FORMAT, "kind": kind, "format_version": FORMAT_VERSION,
            "neurocore_version": neurocore.__version__}


def _read_file(path, kinds):
    """Parse a file: (metadata, config or None, manifest, arrays per layer, all members). ValueError on anything
    wrong."""
    path = os.fspath(path)
    members = read_zip(path, "nc.keras model/weights file")
    try:
        meta = _json_member(members, "metadata.json")
        if not isinstance(meta, dict) or meta.get("format") != FORMAT:
            raise ValueError("metadata.json does not name the neurocore.keras format")
        if meta.get("kind") not in kinds:
            raise ValueError(f"it holds {meta.get('kind')!r}, expected {' or '.join(kinds)}")
        if not isinstance(meta.get("format_version"), int) or meta["format_version"] > FORMAT_VERSION:
            raise ValueError(f"format_version {meta.get('format_version')!r} is newer than this neurocore reads "
                             f"({FORMAT_VERSION})")
        config = _json_member(members, "config.json") if meta["kind"] == "model" else None
        manifest = _json_member(members, "weights.json")
        if not isinstance(manifest, list):
            raise ValueError("weights.json is not a list")
        arrays = []
        for i, entry in enumerate(manifest):
            if not (isinstance(entry, dict) and isinstance(entry.get("shapes"), list)
                    and isinstance(entry.get("name"), str) and isinstance(entry.get("class_name"), str)):
                raise ValueError(f"weights.json entry {i} is malformed")
            layer = []
            for j, shape in enumerate(entry["shapes"]):
                name = f"weights/{i}/{j}.npy"
                if name not in members:
                    raise ValueError(f"member {name} is missing")
                a = parse_npy(members[name], name)
                if list(a.shape) != shape:
                    raise ValueError(f"{name} has shape {a.shape}, weights.json says {shape}")
                layer.append(a)
            arrays.append(layer)
    except ValueError as exc:
        raise ValueError(f"{path!r} is not a valid nc.keras file: {exc}") from exc
    return meta, config, manifest, arrays, members


def _json_member(members, name):
    if name not in members:
        raise ValueError(f"member {name} is missing")
    try:
        return json.loads(members[name].decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise ValueError(f"{name} is not valid JSON ({exc})") from exc


def _compile_loaded(model, compile_config, members, custom_objects):
    from .optimizers import Optimizer
    compile_args = deserialize_keras_object(compile_config, custom_objects)
    if not isinstance(compile_args, dict):
        raise ValueError("compile_config is not a dict")
    optimizer = compile_args.get("optimizer")
    if "optimizer.json" in members and isinstance(optimizer, Optimizer):
        description = _json_member(members, "optimizer.json")
        optimizer._pending_state = _optimizer_state(description, members)  # applied when fit makes the optimizer
    if hasattr(model, "compile_from_config"):
        model.compile_from_config(compile_args)
    else:
        model.compile(**compile_args)


# ---------------------------------------------------------------------------------------------- public API

def save_model(model, filepath, overwrite=True):
    """Write `model`'s architecture, weights and compile settings to one file (see the module docstring).
    ``overwrite=False`` raises FileExistsError if `filepath` exists."""
    _check_built(model, "save_model")
    compile_config = _compile_config(model)
    config = {"model": serialize_keras_object(model, "model"), "compile_config": compile_config}
    manifest, members = _weight_members(model)
    entries = {"metadata.json": _metadata("model"), "config.json": config, "weights.json": manifest, **members}
    if compile_config is not None:
        description, arrays = _optimizer_members(model)
        if description is not None:
            entries.update({"optimizer.json": description, **arrays})
    _write_file(filepath, entries, overwrite)


def load_model(filepath, custom_objects=None, compile=True, safe_mode=True):  # noqa: A002 - Keras' name
    """Rebuild the model saved by ``save_model``: same architecture, same weights (bit for bit) and, with
    ``compile=True``, compiled with the saved optimizer, loss and metrics. ``custom_objects`` maps the names of
    custom classes/functions to them. A damaged or foreign file raises ValueError. ``safe_mode`` is accepted for
    Keras compatibility: files never hold code (lambdas cannot be saved), so every load is safe."""
    if custom_objects is not None and not isinstance(custom_objects, dict):
        raise TypeError(f"custom_objects must be a dict of name -> class/function, got {type(custom_objects).__name__}")
    _, config, manifest, arrays, members = _read_file(filepath, ("model",))
    path = os.fspath(filepath)
    try:
        if not isinstance(config, dict) or not _is_object_config(config.get("model")):
            raise ValueError("config.json has no model description")
        model = _model_from_config(config["model"], custom_objects)
        _set_weights_from(model, manifest, arrays, path)
        if compile and config.get("compile_config"):
            _compile_loaded(model, config["compile_config"], members, custom_objects)
    except ValueError as exc:
        if str(exc).startswith(repr(path)):
            raise
        raise ValueError(f"{path!r} could not be loaded: {exc}") from exc
    except (TypeError, KeyError, AttributeError, IndexError, RuntimeError, OverflowError, MemoryError) as exc:
        # Layer constructors and from_config methods fed a damaged or hand-made config fail in many ways.
        raise ValueError(f"{path!r} could not be loaded: its configuration is invalid "
                         f"({type(exc).__name__}: {exc})") from exc
    return model


def save_weights(model, filepath, overwrite=True):
    """Write only `model`'s weights (per layer, Keras order) to `filepath`."""
    _check_built(model, "save_weights")
    manifest, members = _weight_members(model)
    _write_file(filepath, {"metadata.json": _metadata("weights"), "weights.json": manifest, **members}, overwrite)


def load_weights(model, filepath):
    """Load weights saved by ``save_weights`` (or from a ``save_model`` file) into `model`, whose architecture must
    match: a different layer type, weight count or shape raises ValueError naming the layer and the shapes, and
    leaves the model unchanged."""
    _check_built(model, "load_weights")
    _, _, manifest, arrays, _ = _read_file(filepath, ("weights", "model"))
    _set_weights_from(model, manifest, arrays, os.fspath(filepath))
