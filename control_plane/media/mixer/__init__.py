"""A small G.711 mixing leg of our own: RTPengine 10.5 does not mix audio (DESIGN §5.6).

`frames` and `g711` are pure (the arithmetic); `participant` is one party's jitter buffer
and RTP stream; `bridge` is the adapter that owns the UDP sockets and the 20 ms tick.
"""
