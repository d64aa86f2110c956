"""The bundled demo cluster `shop` (a generated snapshot) and the script that builds it."""

from pathlib import Path

SHOP_SNAPSHOT = Path(__file__).parent / "shop"
SHOP_TRUTH = Path(__file__).parent / "shop_truth.yaml"
