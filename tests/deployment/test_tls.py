"""R21: the proxy's first certificate, made by `exchange tls self-signed` (compose's tls-init):
for the names and addresses given, its key readable by its owner only, and never made twice
over a certificate already there (the city's own)."""

import ipaddress
import stat
from pathlib import Path

from click.testing import CliRunner
from cryptography import x509

from exchange_cli import main


def test_r21_the_self_signed_certificate_names_its_hosts_and_keeps_a_citys_own(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "tls"
    runner = CliRunner()
    made = runner.invoke(
        main, ["tls", "self-signed", str(folder), "--host", "exchange.gov.example",
               "--host", "127.0.0.1"],
    )  # fmt: skip
    assert made.exit_code == 0, made.output
    assert "made the certificate" in made.output
    certificate = x509.load_pem_x509_certificate((folder / "cert.pem").read_bytes())
    names = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert names.get_values_for_type(x509.DNSName) == ["exchange.gov.example"]
    assert names.get_values_for_type(x509.IPAddress) == [ipaddress.ip_address("127.0.0.1")]
    assert stat.S_IMODE((folder / "key.pem").stat().st_mode) == 0o600

    (folder / "cert.pem").write_text("the city's own certificate")
    kept = runner.invoke(main, ["tls", "self-signed", str(folder), "--host", "localhost"])
    assert kept.exit_code == 0
    assert "kept the certificate" in kept.output
    assert (folder / "cert.pem").read_text() == "the city's own certificate"
