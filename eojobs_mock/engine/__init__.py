"""The mock platform's engine: state, catalogue, clock and outputs, shared by both faces."""
