"""The training core and what plugs into it: in-memory, streamed and multi-worker feeders, the background job."""
