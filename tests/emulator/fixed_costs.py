"""Two of moto's per-request costs that recompute what never changes, computed once.

- Which backend a request is for: moto lists its own package directory (a `listdir` and
  an `isdir` per service, some 150) on every request to match the host against the
  service names.
- Which actions a response class has: moto lists the class's methods with
  `inspect.getmembers` on every request.

Both answers depend only on the installed moto, so they are cached as they are; what moto
does with them is unchanged. Together they were about a quarter of the emulator's time per
DynamoDB request (tests/emulator/test_fixed_costs.py checks the answers are the same).
"""

import functools

import moto.backends as backends_module
import moto.core.responses as responses_module


def install() -> None:
    """Installs both, once."""
    if getattr(backends_module.list_of_moto_modules, "_cached", False):
        return
    moto_modules = backends_module.list_of_moto_modules
    modules = tuple(moto_modules())

    def list_of_moto_modules():
        return modules

    list_of_moto_modules._cached = True  # type: ignore[attr-defined]
    # moto's own, for the tests to compare with.
    list_of_moto_modules.moto = moto_modules  # type: ignore[attr-defined]
    backends_module.list_of_moto_modules = list_of_moto_modules
    moto_method_names = responses_module.method_names_from_class
    method_names = functools.cache(lambda clazz: tuple(moto_method_names(clazz)))
    # A fresh list each call, as moto's own returns: a caller may change it.
    def cached_method_names(clazz):
        return list(method_names(clazz))

    cached_method_names.moto = moto_method_names  # type: ignore[attr-defined]
    responses_module.method_names_from_class = cached_method_names
