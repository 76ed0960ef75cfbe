"""Call recordings and voicemail: RTPengine's pcap captures converted to WAV and indexed.

The call controller calls :class:`~control_plane.recordings.converter.RecordingConverter`
after hangup; the API serves the files through ``control_plane.api.recordings_routes``.
"""
