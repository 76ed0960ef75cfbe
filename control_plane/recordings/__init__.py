"""Call recordings and voicemail: RTPengine's pcap captures converted to WAV and indexed.

The call controller starts recording with ``spool.start_recording_extra`` (caller port,
tenant, queue, agent in RTPengine's metadata) and, after hangup, calls
:class:`~control_plane.recordings.converter.RecordingConverter`; ``sweep`` converts what no
controller did; the API serves the files through ``control_plane.api.recordings_routes``;
``python -m control_plane.recordings`` converts a capture by hand or sweeps.
"""
