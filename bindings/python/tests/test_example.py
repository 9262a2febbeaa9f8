"""The SQLAlchemy example prints the guide's output."""

import subprocess
import sys

from conftest import EXAMPLE


def test_example_prints_each_tenants_users() -> None:
    out = subprocess.run([sys.executable, str(EXAMPLE / "main.py")], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[-2:] == ["user1.name='John'", "user2.name='Sarah'"]
    assert any("op.create_policy('tenant_isolation', 'users'" in line for line in lines)
    assert any("op.enable_rls('users')" in line for line in lines)
