"""The LSTM cell diagram draws, and labels every part."""
import matplotlib

matplotlib.use("agg")
import matplotlib.pyplot as plt  # noqa: E402

from autograder.diagram import draw_lstm_cell  # noqa: E402


def labels(fig):
    """Every text in the figure, without mathtext's dollars, braces and backslashes."""
    texts = [t.get_text() for ax in fig.axes for t in ax.texts + [ax.title]]
    return {t.replace("$", "").replace("{", "").replace("}", "").replace("\\", "") for t in texts}


def test_draws_a_figure_with_every_part_labelled():
    fig = draw_lstm_cell()
    assert fig.get_size_inches()[0] >= 8
    found = labels(fig)
    for name in ["i_t", "f_t", "g_t", "o_t", "c_t", "h_t", "c_t-1", "h_t-1", "x_t"]:
        assert name in found, name
    joined = " ".join(found)
    assert "input product" in joined and "output product" in joined
    fig.canvas.draw()
    plt.close(fig)


def test_draws_into_a_given_axes():
    fig, ax = plt.subplots(figsize=(9, 4.5))
    assert draw_lstm_cell(ax) is fig
    assert len(ax.patches) >= 8  # cell outline, four blocks, four pointwise operations, tanh(c)
    plt.close(fig)
