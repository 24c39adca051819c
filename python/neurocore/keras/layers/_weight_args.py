"""A clear error for Keras options that the Embedding and recurrent layers do not implement."""


def reject(layer_name, option, value, why):
    """Raise NotImplementedError for a Keras option these layers cannot honour."""
    raise NotImplementedError(f"{layer_name}: {option}={value!r} is not supported ({why})")
