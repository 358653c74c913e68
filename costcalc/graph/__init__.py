"""The layer graph: tensors, nodes, the GraphBuilder every front end feeds, the layer-kind registry and the recorded quantities."""
