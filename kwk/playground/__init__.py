"""The Neural Network Playground engine and its figures."""
