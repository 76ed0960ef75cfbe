"""The agent desk and the supervisor wallboard: static pages served by the control plane.

Plain HTML and JavaScript (no build step) calling the REST API and the live socket
(``/api/v1/ws``); the pages hold no data themselves, so they are public routes.
"""
