"""The export matrix's layer cases (see tests/test_export_matrix.py): every catalog layer, and a
few layers with the activations that need a rewrite, × every export format."""
import pytest

from tests.test_export_matrix import FORMATS, LAYER_CASE_NAMES, check_case, run_for  # noqa: F401

pytestmark = [pytest.mark.slow,
              pytest.mark.filterwarnings("ignore:In the future `np.object`:FutureWarning")]


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("case", LAYER_CASE_NAMES)
def test_each_layer_exports_or_is_refused_up_front(run_for, tmp_path, case, fmt):  # noqa: F811
    check_case(run_for, tmp_path, case, fmt)
