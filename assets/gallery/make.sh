#!/usr/bin/env bash
# The README gallery: projector-look PNGs (1920x1080) written by the batch export, one folder per preset
# (each with config.json and link.txt: the experiment behind its pictures). Re-run after changing a page.
# Usage (from the repository root): bash assets/gallery/make.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
rm -rf assets/gallery/*/
export_preset() { python -m dashboard.export --preset "$1" --out "assets/gallery/$1" "${@:2}"; }
export_preset vanishing_tanh --pages gradients,graph,theory,compare \
  --figures gradient-decay,gradient-heatmap,unfolded-graph,theory-jacobian-products,compare-decay
export_preset exploding --pages training,gradients --figures training-loss,gradient-decay
export_preset exploding_clipped --pages training --figures training-grad-norm
export_preset irnn --pages gradients --figures gradient-decay
export_preset lstm_remembers --pages training,graph --figures training-loss,unfolded-graph
