"""RNN Gradient Lab dashboard: widgets -> one frozen Experiment -> cached engine calls -> figures."""
