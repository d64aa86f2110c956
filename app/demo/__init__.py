"""The bundled demo cluster `shop`: a generated snapshot that ships (its builder is devkit/build_shop.py)."""

from pathlib import Path

SHOP_SNAPSHOT = Path(__file__).parent / "shop"
SHOP_TRUTH = Path(__file__).parent / "shop_truth.yaml"
