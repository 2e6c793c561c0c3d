"""examples/tour.ipynb runs in a fresh kernel: no cell raises, and every output is rich HTML."""

from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel", reason="ipykernel (a test dependency) runs the notebook")

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


@pytest.mark.slow
def test_the_tour_runs_and_every_output_is_html():
    notebook = nbformat.read(EXAMPLES / "tour.ipynb", as_version=4)
    client = nbclient.NotebookClient(notebook, timeout=600, kernel_name="python3",
                                     resources={"metadata": {"path": str(EXAMPLES)}})
    client.execute()
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert len(code) >= 6
    for cell in code:
        assert cell.outputs, cell.source
        assert not [out for out in cell.outputs if out.output_type == "error"], cell.source
        assert any("text/html" in out.get("data", {}) for out in cell.outputs), cell.source
        html = next(out["data"]["text/html"] for out in cell.outputs if "text/html" in out.get("data", {}))
        assert 'class="symderiv"' in html
