"""What the analysis tools (tools/analysis_tools/) measure: speed against a peer, the
profile of a training step, FLOPs, data-pipeline speed, a balancer's cost, the peer's own
training, hazard recall by annotation field, and training curves."""
