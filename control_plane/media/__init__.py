"""Media: the RTPengine ng client (``ng``) and the DTMF listener (``dtmf``)."""
