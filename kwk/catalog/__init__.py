"""The layer catalog: every layer and setting described once (ranges, help, shapes), and the stack presets."""
