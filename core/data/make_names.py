"""Regenerate `names.txt`, the first names the Training page learns from.

    python -m core.data.make_names

Source: the US Census Bureau's 1990 first-name frequency lists (female: 4275 names,
male: 1219), as shipped in the `names` package on PyPI, version 0.3.0 (by Trey Hunner,
code under the MIT licence). The package's README states that these data files are in
the public domain, being derived from 1990 Census data; names.txt is therefore public
domain too. The script downloads the package's source archive with pip into a temporary
folder (nothing is installed, and `names` is not a requirement of this project), checks
its SHA-256, and writes the union of the two lists, lower-cased, one name a line, in
alphabetical order.
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

PACKAGE = "names==0.3.0"
ARCHIVE = "names-0.3.0.tar.gz"
SHA256 = "726e46254f2ed03f1ffb5d941dae3bc67c35123941c29becd02d48d0caa2a671"
LISTS = ("names-0.3.0/names/dist.female.first", "names-0.3.0/names/dist.male.first")
OUT = Path(__file__).with_name("names.txt")


def parse(lines) -> set[str]:
    """The names of a census list: each line is NAME, frequency %, cumulative %, rank.

    >>> sorted(parse(["MARY           2.629  2.629      1", "", "JAMES  3.318 3.318 1"]))
    ['james', 'mary']
    """
    return {line.split()[0].lower() for line in lines if line.strip()}


def download(folder: Path) -> Path:
    subprocess.run([sys.executable, "-m", "pip", "download", PACKAGE, "--no-deps",
                    "--no-binary", ":all:", "-d", str(folder)], check=True)
    archive = folder / ARCHIVE
    digest = hashlib.sha256(archive.read_bytes()).hexdigest()
    if digest != SHA256:
        raise SystemExit(f"{ARCHIVE}: sha256 {digest}, expected {SHA256}")
    return archive


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        archive = download(Path(tmp))
        names: set[str] = set()
        with tarfile.open(archive) as tar:
            for member in LISTS:
                names |= parse(tar.extractfile(member).read().decode("ascii").splitlines())
    if not all(n.isalpha() and n.isascii() for n in names):
        raise SystemExit("a name with characters outside a-z: the 27-token vocabulary breaks")
    OUT.write_text("\n".join(sorted(names)) + "\n")
    print(f"wrote {len(names)} names to {OUT}")


if __name__ == "__main__":
    main()
