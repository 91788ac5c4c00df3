"""The mock platform's engine: state, catalogue, simulated clock and outputs, shared by both faces."""
