#!/usr/bin/env bash
# The README gallery: projector-look PNGs (1920x1080) written by the batch export, one folder per preset
# (each with config.json and link.txt, the experiment behind its pictures). Re-run after changing a page.
# Usage (from the repository root): bash assets/gallery/make.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
rm -rf assets/gallery/vanishing_tanh assets/gallery/vanishing_sigmoid
python -m dashboard.export --preset vanishing_tanh --out assets/gallery/vanishing_tanh \
  --pages gradients,graph,theory,compare \
  --figures gradient-decay,gradient-heatmap,unfolded-graph,theory-jacobian-products,compare-decay
python -m dashboard.export --preset vanishing_sigmoid --out assets/gallery/vanishing_sigmoid --pages gradients \
  --figures gradient-decay
