"""Models and training: the backbone with task-primary adapters, heads, losses, LightningModules."""
