"""General index calculus: derivatives by named quantities holding sums, tensors, several bounds, nested sums."""
import pytest

from symderiv.read.answers import derive_expression


@pytest.mark.parametrize("outer", ["exp", "tanh", "sigmoid"])
@pytest.mark.parametrize("other", ["u[j]*x[j]", "w[j]*u[j]"])
def test_two_named_quantities_holding_sums_derive_verified(outer, other):
    defines = [f"h1 = {outer}(Sum(w[j]*x[j], (j,1,N)))", f"h2 = {outer}(Sum({other}, (j,1,N)))"]
    derived = derive_expression("h1 + h2", "w[k]", defines)
    assert derived.derivation.verified
    assert "unknown" not in derived.derivation.rules()
