"""``model.summary()``: Keras 3's table of layers (name and type, output shape, parameter count, and for a
functional model that is not a plain chain the "Connected to" column), then the parameter totals with their
memory size. ``show_trainable=True`` adds a Trainable column (Y, N, or - for a layer without weights)."""
import shutil

__all__ = []


def _readable_size(nbytes):
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if nbytes / 1024 < 1:
            return f"{nbytes:.2f} {unit}"
        nbytes /= 1024
    return f"{nbytes:.2f} PB"


def _count_and_size(weights):
    unique = {id(w): w for w in weights}.values()
    return sum(w.numel() for w in unique), sum(w.numel() * w.element_size() for w in unique)


def _format_shapes(shapes):
    strs = [str(tuple(s)) for s in shapes]
    return strs[0] if len(strs) == 1 else "[" + ", ".join(strs) + "]"


def _output_shape(layer, relevant):
    """Shape(s) of the layer's last call in this model (or its built output shape); '?' if unknown."""
    nodes = [n for n in layer._inbound_nodes if relevant is None or id(n) in relevant]
    if nodes:
        return _format_shapes([t.shape for t in nodes[-1].outputs])
    shape = getattr(layer, "output_shape", None)
    if shape is None:
        return "?"
    if isinstance(shape, list):
        return _format_shapes([s if s and s[0] is None else (None,) + tuple(s) for s in shape])
    shape = tuple(shape)
    return str(shape if shape and shape[0] is None else (None,) + shape)


def _connections(layer, relevant):
    parts = []
    for node in layer._inbound_nodes:
        if relevant is not None and id(node) not in relevant:
            continue
        for t in node.input_tensors:
            inbound, node_index, tensor_index = t._keras_history
            parts.append(f"{inbound.name}[{node_index}][{tensor_index}]")
    return ", ".join(parts) if parts else "-"


def _wrap(text, width):
    """Split text into lines of at most ``width`` characters, breaking after ', ' or spaces where possible."""
    lines = []
    while len(text) > width:
        cut = text.rfind(" ", 0, width + 1)
        if cut <= 0:
            cut = width
        lines.append(text[:cut].rstrip())
        text = text[cut:].lstrip()
    lines.append(text)
    return lines


def _render_table(header, rows, widths, align):
    """Box-drawn table like Keras 3's (rich) one; ``widths`` are the column widths between the borders."""
    def line(left, fill, mid, right):
        return left + mid.join(fill * w for w in widths) + right

    def cells(values, aligned, bar, truncate=False):
        if truncate:  # header cells: one line, cut with an ellipsis as rich does
            wrapped = [[v if len(v) <= w - 2 else v[:w - 3] + "…"] for v, w in zip(values, widths)]
        else:
            wrapped = [_wrap(str(v), w - 2) for v, w in zip(values, widths)]
        height = max(len(c) for c in wrapped)
        out = []
        for k in range(height):
            parts = []
            for c, w, a in zip(wrapped, widths, aligned):
                text = c[k] if k < len(c) else ""
                inner = w - 2
                text = text.rjust(inner) if a == "right" else text.center(inner) if a == "center" else \
                    text.ljust(inner)
                parts.append(" " + text + " ")
            out.append(bar + bar.join(parts) + bar)
        return out

    out = [line("┏", "━", "┳", "┓")]
    out += cells(header, align, "┃", truncate=True)
    out.append(line("┡", "━", "╇", "┩"))
    for i, row in enumerate(rows):
        if i:
            out.append(line("├", "─", "┼", "┤"))
        out += cells(row, align, "│")
    out.append(line("└", "─", "┴", "┘"))
    return out


def print_summary(model, line_length=None, positions=None, print_fn=None, expand_nested=False,
                  show_trainable=False, layer_range=None):
    layers, relevant, chain = model._summary_layers()
    if chain:
        default_length, positions = 88, positions or [0.45, 0.80, 1.0]
        header, align = ["Layer (type)", "Output Shape", "Param #"], ["left", "left", "right"]
    else:
        default_length, positions = 108, positions or [0.3, 0.56, 0.74, 1.0]
        header = ["Layer (type)", "Output Shape", "Param #", "Connected to"]
        align = ["left", "left", "right", "left"]
    if show_trainable:
        default_length += 12
        positions = [p * 0.90 for p in positions] + [1.0]
        header.append("Trainable")
        align.append("center")
    if positions[-1] <= 1:  # relative positions
        length = line_length or min(default_length, shutil.get_terminal_size().columns - 4)
        bounds = [int(p * length) for p in positions]
    else:
        bounds = [int(p) for p in positions]
        length = bounds[-1]
    columns = [b - a for a, b in zip([0] + bounds[:-1], bounds)]
    if any(c < 4 for c in columns) or len(columns) != len(header):
        raise ValueError(f"Insufficient console width ({length}) to print the summary: positions {positions}")
    inner = length - (len(columns) + 1)  # room left by the borders, shared in proportion
    widths = [max(3, c * inner // sum(columns)) for c in columns]
    widths[-1] += inner - sum(widths)

    if layer_range is not None:
        names = [l.name for l in layers]
        if len(layer_range) != 2 or any(n not in names for n in layer_range):
            raise ValueError(f"layer_range must name two layers of the model, got {layer_range}; layers are {names}")
        layers = layers[names.index(layer_range[0]):names.index(layer_range[1]) + 1]

    rows = []

    def add(layer, depth):
        prefix = "   " * (depth - 1) + "└ " if depth else ""
        params = f"{layer.count_params():,}" if layer.built else "0 (unbuilt)"
        row = [f"{prefix}{layer.name} ({type(layer).__name__})", _output_shape(layer, relevant if not depth else None),
               params]
        if not chain:
            row.append(_connections(layer, relevant) if not depth else "")
        if show_trainable:
            row.append(("Y" if layer.trainable else "N") if layer.weights else "-")
        rows.append(row)
        if expand_nested and hasattr(layer, "_summary_layers"):
            for inner_layer in layer._summary_layers()[0]:
                add(inner_layer, depth + 1)

    for layer in layers:
        add(layer, 0)

    trainable, trainable_size = _count_and_size(model.trainable_weights)
    frozen, frozen_size = _count_and_size(model.non_trainable_weights)
    text = [f'Model: "{model.name}"'] + _render_table(header, rows, widths, align) + [
        f" Total params: {trainable + frozen:,} ({_readable_size(trainable_size + frozen_size)})",
        f" Trainable params: {trainable:,} ({_readable_size(trainable_size)})",
        f" Non-trainable params: {frozen:,} ({_readable_size(frozen_size)})"]
    print_fn = print_fn or print
    for t in text:
        print_fn(t)
