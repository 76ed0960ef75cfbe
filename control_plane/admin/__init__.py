"""The admin pages: queues, agents, skills, seats, DIDs, pause reasons and the IVR builder,
served by the control plane and working through the REST API with the user's token."""
