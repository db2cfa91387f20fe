"""The classic LSTM cell diagram (after Olah, "Understanding LSTM Networks", 2015), drawn with matplotlib."""
from matplotlib.patches import Circle, Ellipse, FancyBboxPatch

LINE = dict(color="black", lw=1.6, solid_capstyle="round", zorder=1)
GATE_COLOUR, TANH_COLOUR, OP_COLOUR = "#f4c27a", "#9ecae1", "#f2a0a0"


def _path(ax, *points, arrow=True):
    """A polyline through points, with an arrowhead on its last segment."""
    xs, ys = zip(*points)
    if len(points) > 2:
        ax.plot(xs[:-1], ys[:-1], **LINE)
    if arrow:
        ax.annotate("", xy=points[-1], xytext=points[-2], zorder=1,
                    arrowprops=dict(arrowstyle="-|>", color="black", lw=1.6, shrinkA=0, shrinkB=0, mutation_scale=14))
    else:
        ax.plot(xs[-2:], ys[-2:], **LINE)


def _block(ax, x, y, text, colour, width=0.9, height=0.6):
    """A rounded box centred at (x, y): a layer with its own weights on [x_t, h_{t-1}]."""
    ax.add_patch(FancyBboxPatch((x - width / 2, y - height / 2), width, height, boxstyle="round,pad=0.02,rounding_size=0.1",
                                facecolor=colour, edgecolor="black", lw=1.2, zorder=3))
    ax.text(x, y, text, ha="center", va="center", fontsize=13, zorder=4)


def _op(ax, x, y, symbol, r=0.24):
    """A pointwise operation (no weights): a circle with its symbol."""
    ax.add_patch(Circle((x, y), r, facecolor=OP_COLOUR, edgecolor="black", lw=1.2, zorder=3))
    ax.text(x, y, symbol, ha="center", va="center", fontsize=14, zorder=4)


def draw_lstm_cell(ax=None):
    """Draw one LSTM cell (gates i, f, o, candidate g, cell state c, output h) and return the Figure."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(9, 4.5))
    fig = ax.figure
    cell_y, bus_y, block_y, r = 4.6, 1.0, 2.0, 0.24
    xf, xi, xg, xo, xout = 3.0, 4.4, 5.8, 7.3, 8.7  # columns: forget, input, candidate, output gate, output path
    ig_y, out_y, tanh_c_y = 3.4, 3.0, 3.85

    ax.add_patch(FancyBboxPatch((1.6, 0.45), 8.6, 4.75, boxstyle="round,pad=0.02,rounding_size=0.3",
                                facecolor="#f7f7f7", edgecolor="grey", lw=1.0, zorder=0))

    # The cell state runs along the top: c_{t-1} -> (x f) -> (+ i*g) -> c_t, with no squashing on the way.
    _path(ax, (0.4, cell_y), (xf - r, cell_y))
    _path(ax, (xf + r, cell_y), (xg - r, cell_y))
    _path(ax, (xg + r, cell_y), (11.6, cell_y))
    _op(ax, xf, cell_y, "×")
    _op(ax, xg, cell_y, "+")
    ax.text(0.35, cell_y + 0.22, "$c_{t-1}$", ha="left", va="bottom", fontsize=13)
    ax.text(11.6, cell_y + 0.22, "$c_t$", ha="right", va="bottom", fontsize=13)
    ax.text(7.25, cell_y - 0.12, "cell state:\nno squashing", ha="center", va="top", fontsize=8.5, color="dimgrey")
    ax.text(xf + 0.3, cell_y - 0.3, "$f_t\\cdot c_{t-1}$", ha="left", va="top", fontsize=9)

    # h_{t-1} and x_t meet on the bus along the bottom; each block has its own weights on [x_t, h_{t-1}].
    _path(ax, (0.4, bus_y), (xo, bus_y), arrow=False)
    _path(ax, (2.2, -0.25), (2.2, bus_y - 0.02))
    ax.text(0.35, bus_y + 0.15, "$h_{t-1}$", ha="left", va="bottom", fontsize=13)
    ax.text(2.35, -0.2, "$x_t$", ha="left", va="center", fontsize=13)
    for x in (xf, xi, xg, xo):
        _path(ax, (x, bus_y), (x, block_y - 0.3))
    _block(ax, xf, block_y, "σ", GATE_COLOUR)
    _block(ax, xi, block_y, "σ", GATE_COLOUR)
    _block(ax, xg, block_y, "tanh", TANH_COLOUR)
    _block(ax, xo, block_y, "σ", GATE_COLOUR)
    ax.text(xf + 0.5, block_y - 0.42, "forget", ha="center", va="top", fontsize=8, color="dimgrey")
    ax.text(xi + 0.45, block_y - 0.42, "input", ha="center", va="top", fontsize=8, color="dimgrey")
    ax.text(xg + 0.6, block_y - 0.42, "candidate", ha="center", va="top", fontsize=8, color="dimgrey")
    ax.text(xo + 0.5, block_y - 0.42, "output", ha="center", va="top", fontsize=8, color="dimgrey")

    # Forget gate up to the first product; input gate and candidate into the input product, then into the sum.
    _path(ax, (xf, block_y + 0.3), (xf, cell_y - r))
    _path(ax, (xi, block_y + 0.3), (xi, ig_y), (xg - r, ig_y))
    _path(ax, (xg, block_y + 0.3), (xg, ig_y - r))
    _op(ax, xg, ig_y, "×")
    _path(ax, (xg, ig_y + r), (xg, cell_y - r))
    ax.text(xf - 0.08, 2.75, "$f_t$", ha="right", va="center", fontsize=13)
    ax.text(xi - 0.08, 2.75, "$i_t$", ha="right", va="center", fontsize=13)
    ax.text(xg + 0.08, 2.75, "$g_t$", ha="left", va="center", fontsize=13)
    ax.text(xg + 0.32, ig_y + 0.02, "input product\n$i\\cdot g = \\sigma(\\cdot)\\cdot\\tanh(\\cdot)$",
            ha="left", va="center", fontsize=9, linespacing=1.4)

    # Output path: c_t -> tanh (no weights) -> times o -> h_t, which leaves the cell at the bottom right.
    _path(ax, (xout, cell_y), (xout, tanh_c_y + 0.22))
    ax.add_patch(Ellipse((xout, tanh_c_y), 0.8, 0.44, facecolor=TANH_COLOUR, edgecolor="black", lw=1.2, zorder=3))
    ax.text(xout, tanh_c_y, "tanh", ha="center", va="center", fontsize=10, zorder=4)
    _path(ax, (xout, tanh_c_y - 0.22), (xout, out_y + r))
    _path(ax, (xo, block_y + 0.3), (xo, out_y), (xout - r, out_y))
    _op(ax, xout, out_y, "×")
    ax.text(xo - 0.08, 2.6, "$o_t$", ha="right", va="center", fontsize=13)
    ax.text(xout + 0.35, out_y + 0.02, "output product\n$o\\cdot\\tanh(c)$", ha="left", va="center", fontsize=9,
            linespacing=1.4)
    _path(ax, (xout, out_y - r), (xout, bus_y), (11.6, bus_y))
    ax.text(11.6, bus_y + 0.15, "$h_t$", ha="right", va="bottom", fontsize=13)

    ax.text(6.0, -0.35, "$c_t = f_t\\, c_{t-1} + i_t\\, g_t, \\quad h_t = o_t \\tanh(c_t)$", ha="center", va="center",
            fontsize=11)
    ax.set(xlim=(0, 12), ylim=(-0.6, 5.6), aspect="equal")
    ax.set_title("one LSTM cell: boxes have their own weights on $[x_t, h_{t-1}]$; circles are pointwise", fontsize=10)
    ax.axis("off")
    return fig
