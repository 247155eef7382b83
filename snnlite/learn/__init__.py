"""Learning in the spiking domain: surrogate-gradient BPTT, STDP rules and networks."""
